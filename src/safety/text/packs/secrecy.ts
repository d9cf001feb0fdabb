/**
 * safety/text pack "secrecy": keeping the contact hidden from the people who would protect the child.
 * The cue that separates grooming from a surprise party is whose people are kept out: "dont tell ur
 * parents" names the other person's family, while siblings planning a gift say "dont tell mom" or "dont tell
 * him". Categories: secrecy_parents (hide it from your parents/friends), secrecy (our secret, keep it
 * between us, nobody needs to know), delete_chat, supervision_probe (do your parents check your phone, are
 * they home), concealment (so your parents don't ask/find out), deception (tell your parents you're at a
 * friend's), alienation (they'd overreact, your friends are fake), secrecy_weak (dont tell anyone: also
 * said about surprises), secrecy_compliance (the child reports having hidden or deleted as asked; scored
 * against the other participant).
 */
import type { Rule } from '../rules.js';
import { DONT, PARENTS, YOU, YOUR, ruleBuilder } from './lexicon.js';

const { regex } = ruleBuilder('secrecy');

const CONFIDANTS = `(?:${PARENTS}|friends?|teachers?|counsell?or|coach|bff|bestie|anyone at school)`;
const SIBLINGS = '(?:sister|brother|sis|bro|siblings?|cousins?)';

export const secrecyPack: Rule[] = [
  regex('dont-tell-your', 'secrecy_parents', 0.6,
    `\\b${DONT} (?:tell|show|mention|let|say|text|ask|bring up)(?: (?:it|this|that|anything|nothing|me|us|about (?:it|this|me|us)))? (?:to )?${YOUR} ${CONFIDANTS}\\b`),
  regex('dont-tell-sibling', 'secrecy', 0.4,
    `\\b${DONT} (?:tell|show|mention|say|text)(?: (?:it|this|that|anything|about (?:it|this|me|us)))? (?:to )?${YOUR} ${SIBLINGS}\\b`),
  regex('dont-tell-about-us', 'secrecy_parents', 0.55,
    `\\b${DONT} (?:tell|mention|say) (?:anyone|anybody|nobody|ppl|people|them|him|her|ur \\w+) about (?:me|us|this|our|what we|the gift|the money|talking)\\b`),
  regex('dont-tell-anyone', 'secrecy_weak', 0.25, `\\b${DONT} (?:tell|show) (?:any ?one|any ?body|no ?one|no ?body|ppl|people|a soul)\\b`,
    { allow: ['dont tell anyone but i', 'dont tell anyone but im', 'dont tell anyone i'] }),
  regex('tell-them-lie', 'deception', 0.45,
    `\\btell (?:her|him|them) (?:ur|youre|u r|you are|that ur|that youre|u|you) (?:going|at|with|w|sleeping|staying|studying|hanging|out with|ll be|will be)\\b|\\b(?:say|tell (?:them|her|him|ur \\w+)) (?:ur|youre|u r) (?:at|with|w|staying|sleeping) (?:a |ur )?(?:friends?|\\w+s house)\\b`),
  regex('after-parents-sleep', 'concealment', 0.55,
    `\\b(?:after|when|once|while) ${YOUR} ${PARENTS} (?:go to (?:bed|sleep)|goes to (?:bed|sleep)|fall asleep|falls asleep|are asleep|is asleep|r asleep|leave|leaves|go out|goes out|arent home|isnt home|are gone|is gone|at work)\\b|\\bwhen (?:ur|your) (?:house|home) is empty\\b|\\b(?:when|while|if) ${YOU} (?:r|are) (?:home )?alone\\b`),
  regex('hide-contact', 'concealment', 0.55,
    `\\b(?:save|put|change) (?:me|my (?:name|number|contact)) (?:in ur phone |in ur contacts )?(?:as|under) (?:a |some |ur )?\\w+|\\b(?:hide|hidden) (?:the |this |our )?(?:app|chat|chats|convo|messages|msgs|account)\\b|\\b(?:clear|delete|wipe) (?:ur|your|the) (?:history|browser history|call log|search history)\\b|\\bdelete my (?:number|contact|msgs|messages)\\b`),
  regex('our-secret', 'secrecy', 0.45, `\\b(?:our|a|r) (?:little |lil |special |own )?secret\\b|\\bsecret (?:between|just for) (?:us|u and me|you and me)\\b`,
    { allow: ['secret santa', 'secret recipe', 'secret ingredient', 'a secret base', 'secret level'] }),
  regex('promise-secret', 'secrecy', 0.4,
    `\\bi (?:wont|will not|would never|will never|promise not to|never) (?:tell|show|say) (?:anyone|anybody|a soul|no ?one|ur ${PARENTS})\\b|\\b(?:it|this|itll|this will|that)(?:ll| will)? be (?:our|a) (?:little )?(?:thing|secret|lil secret)\\b|\\bour (?:little |lil |own )?thing\\b`),
  regex('between-us', 'secrecy', 0.4,
    `\\b(?:keep|kept) (?:this|it|us|that|things|what we|our chats?|our convos?|our talks?)(?: \\w+)? (?:a )?(?:secret|between us|between (?:u|you) and me|to urself|to yourself|quiet|private|on the (?:dl|low|down low))\\b|\\bjust between (?:us|u and me|you and me)\\b`),
  regex('nobody-needs-to-know', 'secrecy', 0.5,
    `\\b(?:no ?one|no ?body|no body)(?: else)? (?:needs|has|have|gotta|got|must|should) (?:to )?(?:know|find out|see|hear)\\b`),
  regex('delete-chat', 'delete_chat', 0.55,
    `\\b(?:delete|del|erase|clear|wipe|unsend|remove)(?: all)? (?:this|the|our|these|those|ur|your|all|my|all our|all the|all of our|all of this|it|them)? ?(?:chats?|msgs?|messages?|texts?|convos?|conversations?|dms?|pics|history|screenshots?|after (?:u|you) read)\\b`,
    { allow: ['delete the pics of me', 'clear the chat history button', 'delete my account'] }),
  regex('delete-after', 'delete_chat', 0.5, `\\bdelete (?:it|this|them) (?:after|once|when) (?:u|you)(?:r| are)? (?:read|see|seen|done)\\b`),
  regex('parents-let', 'supervision_probe', 0.45,
    `\\b(?:does|do|will|would|did) ${YOUR} ${PARENTS} (?:let|allow) (?:u|you)\\b|\\b(?:home|be|stay|are u|r u) by (?:urself|yourself|ur self)\\b|\\b(?:do|d) ${YOU} have (?:ur|your) own (?:room|phone|bathroom|laptop)\\b|\\b(?:is|r|are) ${YOUR} door (?:locked|shut|closed)\\b|\\b(?:r|are) ${YOU} in (?:ur|your) (?:room|bed)\\b`),
  regex('doesnt-have-to-know', 'concealment', 0.55,
    `\\b(?:she|he|they|ur ${PARENTS}|${PARENTS}|nobody|no one|no1) (?:doesnt|dont|do not|does not|wont|will never|never|dosnt|dont even) (?:have to|need to|gotta|ever|hafta)? ?(?:know|find out|see|hear about)(?: everything| about (?:it|this|us|me))?\\b`,
    { allow: [] }),
  regex('parents-strict', 'alienation', 0.4,
    `\\b${YOUR} ${PARENTS} (?:r|are|is|sound|sounds|seem|seems) (?:too |so |way too |kinda |really |rly |lowkey |hella )?(?:strict|controlling|overprotective|annoying|mean|unfair|toxic|crazy)\\b|\\b(?:wont|will not|dont|would not|wouldnt) judge (?:u |you )?like (?:she|he|they|ur \\w+) (?:does|do|did)\\b|\\b${YOU} should be (?:able|allowed) to (?:talk to|text|see|date|do) (?:whoever|anyone|who ever|what)\\b`),
  regex('like-i-asked', 'secrecy', 0.45, `\\b(?:delete|deleted|hide|hid|clear|cleared|erase|erased)\\b[^.!?]{0,30}\\blike i (?:asked|said|told (?:u|you))\\b`),
  regex('parents-phone', 'supervision_probe', 0.5,
    `\\b${YOUR} ${PARENTS}\\b[^.!?]{0,30}\\b(?:ur|your|the) (?:phone|messages|msgs|texts|chats|dms|screen ?time|ipad|tablet|laptop|apps|location)\\b|\\b(?:do|does|can|will) (?:anyone|any ?1|they|ur ${PARENTS}) (?:check|read|see|go thru|go through|look at|monitor|track) (?:ur|your) (?:phone|messages|msgs|texts|chats|dms)\\b`),
  regex('supervision-probe', 'supervision_probe', 0.55,
    `\\b(?:do|does|did|will|would|can|could) ${YOUR} ${PARENTS} (?:ever )?(?:check|see|read|look at|look thru|look through|go through|go thru|know about|track|monitor|find out)\\b`),
  regex('supervision-home', 'supervision_probe', 0.45,
    `\\b(?:${'(?:are|r|is)'}) ${YOUR} ${PARENTS} (?:home|around|there|awake|asleep|out|gone|at work|back)\\b|\\b(?:r|are) ${YOU} (?:home )?alone\\b|\\bhome alone\\b|\\bwhen (?:do|does) ${YOUR} ${PARENTS} (?:go to (?:sleep|bed|work)|leave|get home)\\b`),
  regex('concealment', 'concealment', 0.6,
    `\\b(?:so|that|then|cause|bc|because|if)? ?${YOUR} ${PARENTS} (?:dont|wont|doesnt|cant|never|wouldnt|will not|do not|does not) (?:ask|know|find out|see|check|notice|have to know|need to know|get suspicious|find it)\\b`),
  regex('deception', 'deception', 0.6,
    `\\b(?:tell|say to) ${YOUR} ${PARENTS} (?:ur|youre|u r|you are|that ur|that youre|u|you) (?:going|at|with|w|sleeping|staying|studying|hanging|out with|ll be|will be)\\b|\\b(?:lie|lying) to ${YOUR} ${PARENTS}\\b`),
  regex('hide-from-parents', 'concealment', 0.55,
    `\\b(?:hide|hidden|hiding) (?:it|this|the app|the phone|me|us|our chats?) (?:from|so) ${YOUR} ${PARENTS}\\b|\\bwithout ${YOUR} ${PARENTS} (?:knowing|finding out|seeing)\\b`),
  regex('surveillance-check', 'supervision_probe', 0.5,
    `\\bdid ${YOUR} (?:${PARENTS}|friends?|sister|brother) (?:see|read|find|check) (?:our|the|my|ur|this) (?:chat|msgs?|messages?|texts?|convo|dms?|phone)\\b`),
  regex('alienation-overreact', 'alienation', 0.3,
    `\\b(?:they|she|he|theyd|shed|hed|theyll|shell|hell|ur ${PARENTS}|${PARENTS})(?:d| would| will|ll)? (?:overreact|freak out|flip out|not understand|wouldnt understand|wont understand|dont understand|ruin (?:it|this|us|everything)|think (?:its|it is|this is|im) (?:weird|creepy|wrong|bad)|take (?:u|you|ur phone) away|get the wrong idea|wont get it|wouldnt get it|dont get it|might not get it|not get it)\\b`),
  regex('dont-appreciate', 'alienation', 0.45,
    `\\b${YOUR} (?:${PARENTS}|friends|teachers?) (?:dont|doesnt|never|dont even|will never|would never|cant) (?:appreciate|understand|get|care about|listen to|deserve|love|see|know) (?:u|you|the real (?:u|you))\\b|\\blike i do\\b|\\b(?:u|you) dont need (?:them|ur friends|ur parents|anyone else)\\b|\\b(?:u|you) (?:have|got) me\\b`,
    { allow: [] }),
  regex('friends-fake', 'alienation', 0.45,
    `\\b${YOUR} (?:friends|parents|family|mom|dad|mum) (?:seem|seems|are|r|is|sound|act)? ?(?:so |kinda |lowkey |rly |really )?(?:fake|jealous|immature|using (?:u|you)|dont care|dont get (?:u|you)|dont understand (?:u|you)|dont deserve|bad for (?:u|you)|talk behind)\\b`),
  regex('only-one-real', 'alienation', 0.5,
    `\\b(?:im|i am|i m) the only (?:one|person|1) (?:who|that|whos|who is|who really|that really|who actually)? ?(?:gets|understands|cares|is real|real|really|actually|truly|listens|loves)\\b`),
  regex('complied-delete', 'secrecy_compliance', 0.55,
    `\\b(?:i|ive|i have|i already) (?:deleted|erased|cleared|hid|hidden|unsent) (?:it|them|the chat|our chat|everything|the msgs|the messages|the app)(?: like| as) (?:u|you) (?:said|asked|told me|wanted)\\b`),
  regex('complied-secret', 'secrecy_compliance', 0.35,
    `\\b(?:i )?(?:didnt|did not|havent|have not|never) (?:tell|told) (?:anyone|anybody|my ${PARENTS}|my (?:mom|dad|friends))(?: about (?:u|you|us))?(?: like (?:u|you) said)?\\b`,
    { allow: ['didnt tell anyone yet', 'havent told my mom yet'] }),
];
