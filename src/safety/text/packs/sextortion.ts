/**
 * safety/text pack "sextortion": a threat to share intimate images combined with a demand. Each piece
 * alone is common ("if u dont return my hoodie im telling everyone", "i have ur pics from the trip",
 * "venmo me $10"); the risk stage requires a claim to hold images together with a threat or a demand.
 * Categories: image_claim (i have/saved/recorded/made fake pics of u, the one u sent), leverage (i have ur
 * friends list / followers), share_threat (or i post/send/leak; everyone at ur school gets it),
 * demand_payment (pay, gift card codes, amounts), demand_images (send more, get on cam), deadline
 * (20 minutes, by 8am, u got 1 hr), coercion (nobody will believe u, ur choice, u thought i was a girl).
 */
import type { Rule } from '../rules.js';
import { PICS, YOU, YOUR, ruleBuilder } from './lexicon.js';

const { regex, keyword } = ruleBuilder('sextortion');

const AUDIENCE =
  '(?:everyone|every1|every body|everybody|all|the whole school|ur school|your school|ur schools? page|ur family|ur fam|ur friends|ur friends list|ur followers|ur parents|ur mom|ur dad|ur class|ur classmates|ur contacts|ur teachers?|the internet|online|twitter|reddit|every ?one u know|all ur \\w+)';

export const sextortionPack: Rule[] = [
  regex('have-pics', 'image_claim', 0.45,
    `\\bi (?:have|got|saved|kept|screenshotted|screenshot|screen recorded|recorded|took|still have|already have|downloaded)(?: all)?(?: of)? (?:${YOUR} |the |those |these |all ${YOUR} |all the |ur |every )?(?:${PICS}|everything|it all|the call|our call|the vc|u on (?:video|cam|camera))\\b|\\bi have everything from (?:our|the) (?:call|vc|chat|video)\\b`,
    { allow: ['pics from the trip', 'pics from the party', 'photos from the game', 'pics of the dog'] }),
  regex('fake-pics', 'image_claim', 0.5, `\\b(?:made|make|have|got|created|edited|photoshopped)(?: some)? (?:fake|edited|ai|deepfake|photoshopped) (?:${PICS}|nudes|version)|\\bdeep ?fakes?\\b`),
  regex('you-sent', 'image_claim', 0.4,
    `\\b(?:${YOU}|u) (?:sent|showed|sent me|shared)(?: me)? (?:${PICS}|nudes|it|them|those|ur body)(?: to)?\\b|\\bthe (?:one|ones|pic|pics|photo|photos|video|vid|videos|picture|pictures) (?:${YOU}|u) (?:already )?(?:sent|showed|took)\\b|\\bsent (?:${PICS}|nudes) (?:2|to) the (?:wrong|wr0ng) (?:person|guy|girl)`),
  regex('leverage', 'leverage', 0.4, `\\bi (?:have|got|know|saved|screenshotted) ${YOUR} (?:friends list|followers|follower list|contacts|family|address|school|moms? (?:number|fb|insta|facebook|instagram)|dads? (?:number|fb|facebook))\\b`),
  regex('will-share-pics', 'share_threat', 0.5,
    `\\b(?:ill|i will|im gonna|imma|ima|im going to|gonna|i can|i could) (?:post|send|leak|share|expose|spread|upload|forward|release|show)(?: all)? (?:ur|your|the|those|these|all ur|all the) (?:${PICS}|nudes)\\b|\\b(?:ill|i will|im gonna|imma|ima|gonna) expose (?:u|you)\\b|\\b(?:ur|your) (?:${PICS}|nudes) (?:will be|r gonna be|are gonna be|going) (?:all over|on|everywhere|online|public)\\b|\\b(?:if|when) (?:u|you) block me\\b`),
  regex('threat-names-pics', 'image_claim', 0.4,
    `\\b(?:post|leak|share|expose|spread|upload|release|forward|send)(?:ing)? (?:ur|your|those|these|all ur) (?:nudes|${PICS})\\b[^.!?]{0,30}\\b(?:to|on|unless|or|if)\\b|\\bi (?:have|got) screenshots of everything\\b|\\bi have the recording\\b|\\b(?:gave|sent|showed|forwarded) me (?:ur|your|all ur) (?:nudes|${PICS})\\b|\\b(?:screenshot|screenshots|screen ?shot|copy|copies) of (?:ur|your) (?:nudes|${PICS})\\b`),
  regex('unless-demand', 'demand_payment', 0.4,
    `\\bunless (?:${YOU}|u) (?:send|pay|give|get|transfer|venmo)\\b|\\b(?:u|you) better (?:pay|send)\\b|\\bsend (?:the )?money\\b|\\b(?:ur|your) (?:account|acc|login|password)\\b`),
  regex('or-i-share', 'share_threat', 0.5,
    `\\b(?:or|unless|otherwise|if not|or else|else|if (?:u|you) dont|if (?:u|you) do not|before)\\b,? ?(?:i|ill|i will|im gonna|imma|ima|im going to|i'll)? ?(?:post|send|leak|share|expose|show|spread|upload|forward|release|dm|publish|drop)\\b(?: (?:it|them|these|those|everything|ur|the|pics|to|all|this|it all))?`),
  regex('or-they-see', 'share_threat', 0.45,
    `\\b(?:or|else|otherwise|unless|if not) (?:they|everyone|every1|everybody|ur \\w+|all ur \\w+|the whole \\w+) (?:will |is gonna |are gonna |gonna )?(?:see|sees|get|gets|find out|finds out|watch|watches)\\b`),
  regex('send-to-audience', 'share_threat', 0.5,
    `\\b(?:post|send|leak|share|expose|show|spread|upload|forward|release|dm|publish|drop)(?:ing)? (?:it|them|these|those|everything|ur ${PICS}|the ${PICS}|ur nudes|this|it all)? ?(?:to|on|with|all over) ${AUDIENCE}\\b`),
  regex('audience-sees', 'share_threat', 0.5,
    `\\b${AUDIENCE} (?:will|is gonna|are gonna|gonna|r gonna|is going to|are going to|would) (?:see|get|receive|have)\\b|\\b${AUDIENCE} (?:gets|sees|receives|get|see) (?:it|them|these|those|everything|ur ${PICS}|the ${PICS}|the (?:first|last|other) (?:one|video|vid|pic))\\b`,
    { allow: ['everyone will see it at the', 'everyone gets it now lol'] }),
  keyword('leak', 'share_threat', 0.25, 'leak*', { allow: ['album leaked', 'song leaked', 'trailer leaked', 'leaked the new', 'leaked album', 'album leak', 'leaked song', 'leaked trailer', 'leaks online', 'leak in', 'roof leak', 'water leak', 'leaky'] }),
  regex('pay-demand', 'demand_payment', 0.4,
    `(?:^|\\b)(?:pay|pay me|pay up|send|venmo|cashapp|paypal|zelle|transfer)(?: me)? (?:\\$|\\d|now|up|or|it|the money|what i ask)|^pay\\b|\\bpay or\\b|\\b(?:gift ?card|steam card|steam|itunes|google play|amazon|apple) (?:card )?codes?\\b|\\$\\$+`),
  regex('amount', 'money_amount', 0.2, `\\$ ?\\d+|\\b\\d+ ?(?:dollars|bucks|usd|quid|pounds|euros)\\b|\\b\\d{2,4} (?:in )?(?:steam|gift|itunes|amazon) cards?\\b`),
  regex('demand-images', 'demand_images', 0.35,
    `\\b(?:do|make|record|film|take|send) (?:another|more|a new|one more|a better) (?:video|vid|vids|pic|pics|photo|photos|one|ones)\\b|\\bsend (?:more|another|a (?:video|vid)|ur (?:video|vid)|one more|me more|new ones|better ones)\\b|\\b(?:get|hop|go) on (?:cam|camera|video|vc|facetime) (?:now|with me|or)\\b`),
  regex('deadline', 'deadline', 0.25,
    `\\b(?:\\d+|one|an|a|half an|1|2|24|48) ?(?:min|mins|minutes|hr|hrs|hours?)\\b|\\b(?:by|before|at) (?:tonight|midnight|tmrw|tomorrow|\\d{1,2} ?(?:am|pm)|\\d{1,2}:\\d\\d)\\b|\\b(?:${YOU}|u) (?:got|have) (?:until|till|til)\\b|\\btick tock\\b|\\bclock is ticking\\b|\\bthe rest (?:friday|tomorrow|tmrw|later|next week)\\b`),
  regex('coercion', 'coercion', 0.35,
    `\\b(?:no ?one|nobody) (?:will|would|is gonna|gonna) believe (?:${YOU}|u)\\b|\\b(?:${YOUR}|its ur|its your) (?:choice|call|decision|problem)\\b|\\b${YOU} thought i was (?:a|an|really) (?:girl|guy|boy|kid|teen)\\b|\\bi (?:will|can) ruin ${YOUR} life\\b|\\b(?:dont|do not) (?:test me|ignore me|block me)\\b|\\bor else\\b`),
];
