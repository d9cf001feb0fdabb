/**
 * safety/text pack "trust": building a special bond. Praise between friends is normal ("ty ur a genius"),
 * so the weights here are low except for the constructions that set the child apart from their own age
 * group or from the speaker's adult world: "ur so mature", "old soul", "id rather talk to u than my
 * coworkers", "i can tell u things i cant tell ppl my age", "were a team, u and me".
 * Categories: maturity, special_bond, adult_cue (the speaker places themself among adults), flattery,
 * romance, online_relationship (we've been talking so long), opportunity (modelling, sponsorship).
 */
import type { Rule } from '../rules.js';
import { YOU, YOURE, ruleBuilder } from './lexicon.js';

const { regex } = ruleBuilder('trust');

export const trustPack: Rule[] = [
  regex('mature', 'maturity', 0.45,
    `\\b(?:${YOURE}|${YOU}|ur so|${YOU} seem|${YOU} act|${YOU} sound)\\b[^.!?]{0,30}\\b(?:mature|wise)(?:r)?\\b|\\bmore (?:mature|grown up|grown|adult) than\\b|\\bthan (?:anyone|anybody|other (?:kids|girls|boys|people|ppl)|most (?:kids|girls|boys|people|ppl)|ppl|people|kids) (?:ur|your) age\\b|\\b(?:prettier|hotter|cuter|smarter|more mature|more fun|more interesting|better) than (?:\\w+ )?(?:girls|boys|guys|women|men|ppl|people|anyone) my age\\b|\\b(?:${YOU}|u) dont (?:act|seem|look|sound|talk) like (?:it|ur age|a kid|a \\d+ ?(?:yr|year) old|\\d+)\\b|\\b(?:${YOU}|u) (?:look|looks|seem|act|sound)(?: so| way| much| a lot)? older\\b|\\bold soul\\b|\\bbeyond (?:ur|your) years\\b|\\bnot like (?:other|most) (?:kids|girls|boys|people) (?:ur|your) age\\b`,
    { allow: ['mature content', 'rated mature', 'mature audiences', 'wise choice', 'wise decision'] }),
  regex('rather-talk', 'special_bond', 0.45,
    `\\b(?:id|i would|i'd) (?:rather|prefer to|prefer) (?:talk|talking|chat|hang|be) (?:to|with|w) (?:${YOU}|u) (?:than|then)\\b`),
  regex('tell-you-things', 'special_bond', 0.5,
    `\\bi (?:can|could) (?:tell|talk to|say) (?:${YOU}|u) (?:things|anything|everything|stuff|about things) (?:i|that i) (?:cant|can not|couldnt|never|dont)\\b|\\b(?:${YOU}|u) (?:get|understand|know) me (?:better )?(?:more |better )?than (?:anyone|anybody|my)\\b|\\b(?:no ?one|nobody) (?:gets|understands) (?:${YOU}|me) like\\b`),
  regex('only-one-gets-me', 'special_bond', 0.45,
    `\\b${YOURE} the only (?:one|person|1) (?:who|that|whos|i can)? ?(?:gets|understands|listens to|cares about|talk to|trust)\\b|\\b${YOU} can (?:always )?(?:trust me|tell me anything|talk to me about anything)\\b|\\bi understand (?:u|you) (?:better|more) than\\b|\\b(?:vent|talk|come) to me (?:about anything|anytime|whenever)\\b|\\b${YOU} can (?:always )?(?:vent|come|talk) to me\\b|\\bi (?:wont|will never|would never|dont) judge\\b|\\btalking to (?:u|you) is (?:different|special|so easy|the best)\\b|\\bi (?:wish|wished) i (?:was|were) ur age\\b|\\bwe (?:just )?(?:click|get each other|have a connection|have something special|connect)\\b|\\bi (?:would )?(?:never|wouldnt|dont|cant) (?:say|tell|show) (?:this|that|these things|stuff like this) to (?:anyone|anybody|any1) else\\b`),
  regex('opportunity', 'opportunity', 0.4,
    `\\b(?:${YOURE}|${YOU}) (?:gonna|going to|will|could|can|are gonna|r gonna) (?:be|get) (?:famous|a star|big|discovered|signed)\\b|\\bi know (?:ppl|people|someone|some1|a guy|producers|agents) (?:in|at) (?:the )?(?:industry|business|label|agency)\\b|\\b(?:could|can|will|gonna|ill) (?:get|make|help) (?:${YOU}|u) (?:a |into |famous|be )?(?:shoot|photoshoot|modeling|modelling|model|contract|job|gig|deal|audition|sponsor|sponsorship|famous|verified|influencer)\\b|\\b${YOU} (?:could|should) (?:be|become) a model\\b|\\bi work with (?:models|agencies|brands|producers|talent)\\b`),
  regex('special', 'special_bond', 0.35,
    `\\b${YOURE} (?:so |really |rly |truly )?(?:special|different from (?:the )?other|not like (?:the )?other|one of a kind|my (?:favorite|fav|favourite|fave) (?:person|human)|my person|my (?:best|only) friend)\\b`,
    { allow: ['special needs'] }),
  regex('team-us', 'special_bond', 0.45,
    `\\b(?:were|we are|we r) (?:a team|in this together|meant to be|soulmates)\\b|\\b(?:${YOU} and me|u and me|me and (?:${YOU}|u)) (?:against|vs) (?:the world|everyone)\\b|\\bwhat we have is (?:special|different)\\b`),
  regex('adult-world', 'adult_cue', 0.35,
    `\\bmy (?:coworkers?|co-workers?|colleagues?|boss|wife|husband|ex-wife|ex wife|mortgage|kids at home|apartment lease|office|employees?|landlord|divorce)\\b|\\b(?:ppl|people|guys|girls|women|men|adults) my age\\b|\\bat my (?:office|job) today\\b`),
  regex('stated-adult-age', 'adult_cue', 0.4, `\\b(?:im|i am|i m) (?:1[89]|[2-6]\\d)(?: ?(?:yo|y/o|years? old|yrs? old|m|f|male|female))?(?:[!?.,]|$)`),
  regex('flattery', 'flattery', 0.15,
    `\\b${YOU} have (?:a |such a )?(?:real |natural |so much )?talent\\b|\\b${YOURE} (?:so |really |rly |the )?(?:smartest|smart|talented|gifted|amazing|perfect|brilliant|prettiest|cutest|best player|most talented)\\b|\\b(?:ur|your) (?:poems?|drawings?|art|singing|voice|videos?|writing) (?:is|are|r)? ?(?:so |really |rly |actually )?(?:beautiful|amazing|incredible|perfect|stunning)\\b`),
  regex('romance', 'romance', 0.35,
    `\\b(?:${YOURE}|be) my (?:gf|bf|girlfriend|boyfriend|baby|babe|princess|wifey|hubby)\\b|\\bi (?:think )?(?:im falling for|have feelings for|have a crush on|am in love with|love) (?:${YOU}|u)(?: so much| more than)\\b|\\b(?:baby ?girl|princess|my love|cutie|sexy|hottie)\\b|\\b(?:do|d) ${YOU} have a (?:bf|gf|boyfriend|girlfriend)\\b|\\b(?:ever|have u ever) (?:been )?kissed\\b|\\b${YOU} deserve (?:someone|somebody|a (?:guy|girl|man)) (?:who|that|like me)\\b|\\bgood (?:girl|boy)\\b`),
  regex('online-relationship', 'online_relationship', 0.3,
    `\\b(?:u|you|r u|are u|ru) (?:still )?up\\?|\\bcant sleep\\b[^.!?]{0,20}\\b(?:u|you) up\\b|\\b(?:weve|we have|we ve|we been) (?:been )?(?:talking|chatting|texting) (?:for )?(?:so long|so much|months|weeks|ages|forever|a while)\\b|\\bi feel like i know (?:${YOU}|u)\\b`),
];
