/**
 * safety/text pack "meeting": moving from chat to meeting in person. A parent's "ill pick u up" and
 * classmates meeting at the library use the same words, so most of these are moderate on their own and the
 * risk stage looks for them together with secrecy, an unknown adult or a probe of where the child is.
 * Categories: meeting (proposals to meet), private_meeting (just us, alone, come to my place), transport
 * (offering rides, skipping the bus), location_probe (where do you live, your address, near your school).
 */
import type { Rule } from '../rules.js';
import { ILL, YOU, YOUR, ruleBuilder } from './lexicon.js';

const { regex } = ruleBuilder('meeting');

export const meetingPack: Rule[] = [
  regex('meet-irl', 'meeting', 0.45,
    `\\b(?:meet|see|hang out with|hug|kiss|hold) (?:${YOU}|each other|up)? ?(?:irl|in person|in real life|for real|face to face|f2f|offline)\\b|\\bmeet (?:${YOU} )?(?:irl|in person)\\b`),
  regex('meet-up', 'meeting', 0.3,
    `\\b(?:wanna|want to|we should|lets|let us|can we|could we|we could|when can we|we can|would u|would you|will u) (?:meet|meet up|hang out|hangout|link up|chill|get together|see each other)\\b`,
    { allow: ['meet at school', 'meet after practice', 'meet in class', 'hang out at school', 'meet at lunch'] }),
  regex('meet-up-bare', 'meeting', 0.25, `\\bmeet ?up\\b|\\b(?:i could|i can|we could|we can|lets|ill|i wanna|i want to) (?:meet|see) (?:u|you|up)(?: there| somewhere| after| before| at| in)\\b`),
  regex('just-us', 'private_meeting', 0.4,
    `\\bjust (?:us|us two|the two of us|${YOU} and (?:me|i)|me and ${YOU})\\b|\\b(?:come|go|be) alone\\b|\\bdont bring (?:anyone|anybody|ur friends?)\\b`),
  regex('my-place', 'private_meeting', 0.4, `\\b(?:come|stop|sleep|stay) (?:over )?(?:to|at|by)? ?(?:my|our) (?:place|house|apartment|apt|flat|hotel|room|car|van)\\b|\\bhotel room\\b`),
  regex('pick-up', 'transport', 0.3,
    `\\b${ILL} (?:pick ${YOU} up|pick up ${YOU}|drive ${YOU}|come (?:get|grab) ${YOU}|give ${YOU} a (?:ride|lift)|come get ${YOU}|get ${YOU} an uber|send ${YOU} an uber|order ${YOU} an uber)\\b|\\b(?:need|want) a (?:ride|lift)\\b`),
  regex('skip-bus', 'transport', 0.35, `\\bskip (?:the bus|it|school|class|practice|the train)\\b.{0,40}\\b(?:drive|ride|pick|take ${YOU}|come get)\\b|\\b(?:dont|no need to) take the bus\\b`),
  regex('in-your-town', 'location_probe', 0.4, `\\b(?:ill|i will|im gonna|im going to|i can|i could) (?:be|come|drive|fly|go) (?:in|near|around|to|by|down to|up to|over to) ${YOUR} (?:town|city|area|neighborhood|neighbourhood|way|state|school)\\b|\\bwhat (?:park|mall|gym|bus stop|library) (?:do|d) ${YOU} go to\\b`),
  regex('schedule-probe', 'location_probe', 0.4,
    `\\bwhat time (?:do|does|d) ${YOU} (?:get out|finish|leave|get off|get home|get back|walk home)\\b|\\bwhen (?:do|does|d) ${YOU} (?:get out of|leave|finish) (?:school|class|practice)\\b|\\bwhich way (?:do|d) ${YOU} walk\\b`),
  regex('where-live', 'location_probe', 0.45,
    `\\bwhere (?:do|d) ${YOU} live\\b|\\bwhere ${YOU} live\\b|\\b(?:whats|what is|send|send me|give me|drop) ${YOUR} (?:address|addy|location|loc|zip|postcode|street)\\b|\\bwhat (?:town|city|street|neighborhood|neighbourhood) (?:do|d)? ?${YOU} live\\b|\\bshare ${YOUR} location\\b`),
  regex('near-you', 'location_probe', 0.4,
    `\\b(?:near|close to|by|outside|around|next to) ${YOUR} (?:school|house|home|place|street|bus stop|neighborhood|neighbourhood)\\b|\\b(?:the|a) (?:\\w+ )?near ${YOU}\\b`),
];
