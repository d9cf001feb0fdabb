/**
 * safety/text pack "context": words that explain away other cues rather than add risk. The hard negatives
 * of grooming detection are ordinary family and school life: a parent's "ill pick u up", a surprise
 * "dont tell mom", classmates' "add me on discord for the project". These rules mark the occasion, the task
 * or a family role so the risk stage can discount the cues that the context explains; they never raise a
 * score. Categories: occasion, schoolwork, family_address.
 */
import type { Rule } from '../rules.js';
import { ruleBuilder } from './lexicon.js';

const { regex } = ruleBuilder('context');

export const contextPack: Rule[] = [
  regex('occasion', 'occasion', 0.5,
    `\\b(?:bday|birthday|b-day|xmas|christmas|hanukkah|eid|diwali|surprise|surprise party|anniversary|mothers day|fathers day|graduation|valentines for (?:mom|dad)|secret santa)\\b`),
  regex('schoolwork', 'schoolwork', 0.5,
    `\\b(?:homework|hw|project|study|studying|test|quiz|exam|worksheet|assignment|essay|lab report|group chat|practice|rehearsal|tryouts|science fair|book report|class notes)\\b`),
  regex('family-address', 'family_address', 0.5,
    `\\b(?:ok|okay|k|ty|thx|thanks|thank u|thank you|love u|love you|luv u|bye|hi|hey|yes|no|night|gn|morning|sure|omw|coming) (?:mom|mum|mama|momma|dad|papa|grandma|grandpa|nana|granny|gran|auntie|aunty|aunt|uncle|sis|bro|cuz|coach|mr \\w+|ms \\w+|mrs \\w+)\\b|\\b(?:its|this is|it's) (?:ur |your )?(?:mom|mum|dad|aunt \\w+|auntie|uncle \\w+|grandma|grandpa|nana|big sis|little sis|sister|brother|big bro|cousin|coach \\w+|coach)\\b|\\b(?:hi|hey|hello) (?:sweetie|honey|kiddo|buddy),? (?:its|it's) (?:mom|dad|grandma|grandpa|nana|ur aunt|auntie)\\b|\\blove (?:u|you),? (?:mom|dad|grandma|grandpa|nana|auntie)\\b`),
];
