/**
 * safety/text pack "age": probing a child's age, school level and situation, and remarks that set a
 * child's age against their looks or maturity. Asking "how old is ur dog" or saying "a random keeps asking
 * what school i go to" is not a probe: the patterns require the question to be put to the other person.
 * Categories: age_probe, school_probe, age_dodge (answering one's own age with "older, does it matter"),
 * minor_age (a stated age under 18; digit-only words keep their digits in the folded view), maturity_minor ("mature for 11",
 * "u look older than 13").
 */
import type { Rule } from '../rules.js';
import { ARE, IM, MINOR_AGE, YOU, YOUR, ruleBuilder } from './lexicon.js';

const { regex, keyword } = ruleBuilder('age');

export const agePack: Rule[] = [
  regex('how-old', 'age_probe', 0.35, `\\bhow old (?:${ARE} ${YOU}|ru|r u|are you|u|ya)\\b|\\bhow old\\?|\\b(?:whats|what is|wats) ${YOUR} age\\b|\\bwhat age (?:${ARE} ${YOU}|ru)\\b|\\b(?:${ARE}|ru) ${YOU} (?:under|over) (?:18|eighteen|16|sixteen)\\b|\\bage\\?`,
    { allow: [] }),
  keyword('asl', 'age_probe', 0.45, 'asl'),
  regex('what-grade', 'school_probe', 0.35, `\\bwhat (?:grade|year|class|yr|form) (?:${ARE} ${YOU}|ru|${YOU}|r u)?(?: in)?\\b`),
  regex('which-school', 'school_probe', 0.35, `\\b(?:what|which|wat) (?:\\w+ )?school (?:do|d|does|did)? ?${YOU} (?:go|attend|goto)\\b|\\bwhere (?:do|d) ${YOU} go to school\\b`),
  regex('school-level', 'school_probe', 0.35,
    `\\b(?:${ARE}|ru|r) ${YOU} (?:in|still in|at)? ?(?:middle|high|elementary|primary|secondary|junior high|grade) ?school\\b|\\b${YOU} in (?:middle|high|elementary|primary|secondary|junior high) ?school\\b|\\b${YOU} in (?:6th|7th|8th|9th|10th|11th|12th|sixth|seventh|eighth|ninth)(?: grade)?\\b`),
  regex('age-guess', 'age_probe', 0.35, `\\bso (?:like|around|about|u r|ur|youre) ${MINOR_AGE}\\b|\\b(?:${ARE}|ru) ${YOU} (?:like |around |about |maybe |prob |probably )?(?:1[0-9]|[6-9])\\b`),
  regex('age-dodge', 'age_dodge', 0.4,
    `\\b(?:does|do) (?:it|age|that|my age) (?:really )?matter\\b|\\bage (?:is|s) just a (?:number|#)\\b|\\bage doesnt matter\\b|\\bolder than (?:u|you) (?:lol|haha|lmao)\\b|\\bold enough\\b`),
  regex('stated-minor-age', 'minor_age', 0.2,
    `(?:^|\\b(?:${IM}|just turned|turning|turned|age|aged) )${MINOR_AGE}(?: ?(?:yo|y/o|yrs?|years?)(?: old)?)?(?:[!?. ]|$)`, { allow: ['im 17 mins', 'im 10 min'] }),
  regex('stated-grade', 'minor_age', 0.2, `^(?:in )?(?:[4-9]|1[0-2])th(?: grade)?[!?. ]*$|^(?:in )?(?:sixth|seventh|eighth|ninth)(?: grade)?[!?. ]*$`),
  regex('maturity-minor', 'maturity_minor', 0.55,
    `\\b(?:mature|grown ?up|old|developed|big)(?: af| asf)? for (?:ur age|your age|a ${MINOR_AGE}|${MINOR_AGE}|a kid|a (?:${MINOR_AGE} )?(?:year old|yo))\\b|\\b(?:look|looks|seem|seems|act|acts|sound|sounds)(?: so| way| much| a lot)? older than ${MINOR_AGE}\\b|\\b(?:look|looks|seem|seems|act|acts|sound|sounds)(?: so| way| much| a lot)? older than (?:ur age|u are|you are|u r)\\b`),
];
