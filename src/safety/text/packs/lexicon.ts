/**
 * safety/text packs: shared regex fragments for the built-in packs.
 *
 * Packs are matched on normalised text (normalize.ts): lowercase, Latin-folded, leetspeak folded, apostrophes
 * inside words removed ("dont", "youre", "ill"), runs of a letter capped at two. These fragments spell the
 * text-speak variants young people actually type, so each pack pattern names a construction once.
 * Everything here must be RE2 syntax: no lookaround, no backreferences.
 */
import type { ViewName } from '../normalize.js';
import type { Rule } from '../rules.js';

export const YOU = '(?:you|u|ya|yu|yuo|chu)';
export const YOUR = '(?:your|ur|yur|yr|youre|ure|you r|u r)';
export const YOURE = '(?:youre|your|ur|u r|you r|u are|you are|ure)';
export const ARE = '(?:are|r)';
export const IM = '(?:im|i am|i m)';
export const ILL = '(?:ill|i will|i wil|imma|ima|im gonna|im going to|i can|i could|let me|lemme|i wanna|i want to|i wana|i gotta)';
export const DONT = '(?:dont|do not|dnt|don|never|dont u|dont you|no need to)';
export const PARENTS =
  '(?:parents?|mom|mum|mommy|mummy|mother|moms|dad|daddy|father|dads|family|fam|folks|step ?(?:mom|mum|dad)|guardians?|grandma|grandpa|grandparents)';
export const PICS =
  '(?:pics?|pix|pictures?|photos?|selfies?|nudes?|vids?|videos?|snaps?|images?|screenshots?|recordings?|footage)';
export const APPS =
  '(?:snap|snapchat|sc|telegram|tg|kik|signal|whatsapp|whats app|wa|discord|insta|instagram|ig|wickr|threema|viber|wechat|skype|facetime|line app|session app|tiktok|twitter|x app|messenger|fb|facebook|omegle|text|phone|imessage|email|dms?|private chat)';
export const MINOR_AGE = '(?:1[0-7]|[6-9])';

interface Opts {
  allow?: string[];
  view?: ViewName;
}

/** A pack-local rule builder: keeps the data files to one line per rule. */
export function ruleBuilder(pack: string) {
  const make = (kind: Rule['kind']) => (id: string, category: string, weight: number, pattern: string, opts: Opts = {}): Rule => ({
    id: `${pack}.${id}`,
    pack,
    kind,
    pattern,
    category,
    weight,
    ...(opts.allow ? { allow: opts.allow } : {}),
    ...(opts.view ? { view: opts.view } : {}),
  });
  return { regex: make('regex'), phrase: make('phrase'), keyword: make('keyword') };
}
