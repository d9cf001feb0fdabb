/**
 * safety/text pack "gifts": gifts, game currency and money, which groomers use to create a debt and a
 * secret. Kids talk about Robux and gift cards constantly and relatives send money, so the currency words
 * are weak; what matters is an unsolicited offer, an obligation ("remember who looks out for u") and hiding
 * the gift from parents (scored by the secrecy pack).
 * Categories: gift_currency, gift_offer, money_offer, payment_app, obligation, gift_concealment.
 */
import type { Rule } from '../rules.js';
import { ILL, YOU, YOUR, ruleBuilder } from './lexicon.js';

const { regex } = ruleBuilder('gifts');

export const giftsPack: Rule[] = [
  regex('currency', 'gift_currency', 0.2,
    `\\b(?:gift ?cards?|robux|v ?bucks|vbux|steam (?:cards?|gift|wallet|code)|itunes (?:card|code)|google play (?:card|code)|apple gift|discord nitro|nitro|amazon (?:card|code)|psn (?:card|code)|xbox (?:card|code)|minecoins|skins?)\\b`),
  regex('gift-offer', 'gift_offer', 0.35,
    `\\b${ILL} (?:buy|get|send|give|gift|pay for|cover|order)(?: ${YOU})? (?:it|them|that|those|one|some|a|an|the|${YOU}|ur|something|anything|whatever)\\b`),
  regex('gift-sent', 'gift_offer', 0.35, `\\bi (?:sent|bought|got|ordered|gifted|just sent) ${YOU} (?:a|an|some|the|something|\\$|\\d)`),
  regex('money-offer', 'money_offer', 0.35, `\\b${ILL} (?:pay|venmo|cashapp|send money to|paypal) ${YOU}\\b|\\bmy treat\\b|\\bon me\\b|\\bi got ${YOU} covered\\b|\\bfree (?:robux|vbucks|v bucks|skins?|nitro)\\b`),
  regex('payment-app', 'payment_app', 0.2, `\\b(?:cash ?app|venmo|paypal|zelle|apple pay|btc|bitcoin|crypto|usdt|eth)\\b`),
  regex('quid-pro-quo', 'obligation', 0.5,
    `\\b(?:if|as long as|only if) (?:${YOU}|u) (?:send|do|show|video|call|facetime|meet|keep|take|let me)\\b[^.!?]{0,40}\\b(?:robux|vbucks|v bucks|gift ?card|\\$|money|buy|pay|give (?:u|you))|\\b(?:robux|vbucks|v bucks|gift ?cards?|money|\\$ ?\\d+)\\b[^.!?]{0,30}\\b(?:if|for) (?:${YOU}|u) (?:send|show|do (?:something|smth|sth|me)|video|facetime|take)\\b|\\b(?:want|wanna|need) (?:some |free |some free )?(?:robux|vbucks|v bucks|a gift ?card|money|a new phone)\\b`),
  regex('obligation', 'obligation', 0.5,
    `\\b(?:remember|dont forget|never forget) who (?:looks out|looked out|takes care|took care|got ${YOU}|is there|helps|bought|paid|gave)\\b|\\b${YOU} owe me\\b|\\bafter (?:all|everything) i (?:did|bought|gave|spent)\\b|\\b(?:return|repay) the favou?r\\b`),
  regex('gift-concealment', 'gift_concealment', 0.45,
    `\\b(?:ship|send|deliver|mail|drop)(?: it| them| the \\w+)? (?:to|at|off at) (?:${YOUR}|a|ur) (?:friends|friend|bffs|neighbors|neighbours) (?:house|place|address)\\b|\\b(?:say|tell (?:them|ur \\w+)) (?:it was|a friend|u found|u won)\\b`),
];
