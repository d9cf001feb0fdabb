/**
 * safety/text pack "photos": requests for pictures of the other person and comments on their body.
 * Categories: photo_request (send me a pic/selfie; pictures of things, "pic of the receipt", are allowed),
 * photo_self (a picture of the person specifically), wearing (what are you wearing, not about tomorrow's
 * outfit), body_comment (remarks on the body), intimate_setting (bed, pyjamas, shower), appearance
 * (u look cute: weak, friends say it), sexual_request (nudes, take it off).
 */
import type { Rule } from '../rules.js';
import { ARE, PICS, YOU, YOUR, YOURE, ruleBuilder } from './lexicon.js';

const { regex, keyword } = ruleBuilder('photos');
const YOURE_OR_LOOK = `${YOURE}|${YOU} look|${YOU} looked|${YOU} looking`;

// A picture of an object or an event is not a picture of the person.
const OF_THINGS = [
  'pic of the', 'pics of the', 'picture of the', 'pictures of the', 'photo of the', 'photos of the', 'pic of my', 'pics of my',
  'photo of my', 'pic of it', 'pics from', 'pictures from', 'photos from', 'pic from', 'photo from', 'pic of that', 'pic of this',
  'pic of ur homework', 'pic of ur notes', 'pic of the receipt', 'screenshot of',
];

export const photosPack: Rule[] = [
  regex('send-pic', 'photo_request', 0.3,
    `\\b(?:send|snap|show|give|get|take)(?: me| us)?(?: a| an| another| more| some| one| 1| a few| few| ur| your| new| cute)? ${PICS}\\b`,
    { allow: OF_THINGS }),
  regex('can-i-see', 'photo_request', 0.3, `\\b(?:can|could|may|lemme|let me) (?:i )?(?:see|have|get) (?:a )?(?:pic|pics|picture|photo|selfie) of ${YOU}\\b`),
  regex('pic-of-you', 'photo_self', 0.45, `\\b${PICS} of (?:${YOU}|urself|yourself|ur (?:face|body|legs|feet|outfit|self))\\b`),
  regex('another-like-that', 'photo_request', 0.35, `\\b(?:send|take|do)? ?(?:another|one more|more)(?: one| pic| pics| photo)? like (?:that|this|the last)\\b`),
  regex('selfie', 'photo_request', 0.25, `\\bselfies?\\b`, { allow: ['took a selfie', 'my selfie', 'selfie stick', 'group selfie'] }),
  regex('wearing-now', 'wearing', 0.55, `\\bwhat ${ARE} ${YOU} wearing (?:rn|right now|now|to bed|in bed|tonight)\\b|\\bwhat (?:do|d) ${YOU} (?:wear|sleep in) (?:to bed|at night|when)\\b|\\bwhat ${YOU} sleep in\\b`),
  regex('send-to-me', 'photo_request', 0.4, `\\bsend (?:it|them|one|some|those|that|more|em) (?:to me|just to me|only to me|privately|to me instead|in private)\\b|\\b(?:ur|your) turn\\b[^.!?]{0,30}\\b(?:pic|pics|photo|selfie|one)\\b|\\bfull body (?:pic|pics|photo|one|selfie|shot)\\b`),
  regex('show-me', 'photo_request', 0.3, `\\bshow me\\b(?: (?:ur|your|u|you|it|them|more|pls|please|rn|now))?`, { allow: ['show me the', 'show me how', 'show me what to', 'show me where', 'show me ur homework', 'show me that'] }),
  regex('wearing', 'wearing', 0.35, `\\bwhat ${ARE} ${YOU} wearing\\b|\\bwhat (?:u|you) wearing\\b|\\bwyw\\b`,
    { allow: ['wearing tmrw', 'wearing tomorrow', 'wearing to', 'wearing for', 'wearing tonight to', 'wearing on'] }),
  regex('nice-body', 'body_comment', 0.5,
    `\\b(?:nice|great|hot|sexy|perfect|amazing|cute) (?:body|legs|lips|butt|thighs|figure|curves)\\b|\\b(?:pretty|beautiful|cute|hot|sexy) for (?:ur|your) age\\b|\\bfull body\\b`),
  regex('body-comment', 'body_comment', 0.5,
    `\\b${YOUR} (?:legs|body|lips|thighs|butt|booty|ass|chest|boobs|figure|curves|waist|hips|skin|feet|belly|tummy|abs)\\b(?: look| looks| r| are| is| so| in)?`),
  regex('intimate-setting', 'intimate_setting', 0.4,
    `\\b(?:in|wearing|just|only) (?:ur |your |a |just |only )?(?:pjs|pajamas|pyjamas|jammies|underwear|undies|bikini|swimsuit|bra|towel|bed)\\b|\\b(?:before|in) (?:bed|the shower|ur bed|the bath)\\b|\\bafter (?:ur|the|a) (?:shower|bath)\\b`,
    { allow: ['in bed early', 'go to bed', 'going to bed', 'in bed sick'] }),
  regex('appearance', 'appearance', 0.25, `\\b(?:${YOURE_OR_LOOK}) (?:so |rly |really |very |super |way |lowkey )?(?:beautiful|gorgeous|pretty|hot|sexy|cute|handsome|stunning|fine|fit|attractive)\\b`),
  regex('sexual-request', 'sexual_request', 0.7,
    `\\b(?:${ARE} ${YOU} (?:still )?a virgin|nudes?|naked|nood|noods|lewds?|spicy pics?|sexy pics?|send nudes|without (?:ur |your )?(?:clothes|shirt|top)|take (?:it|them|ur (?:shirt|top|clothes)) off)\\b`),
  keyword('sext', 'sexual_request', 0.6, 'sext*'),
];
