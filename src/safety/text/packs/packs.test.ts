// Tests for the built-in packs: each pack catches its cues as typed, through every obfuscation a sender
// uses to dodge a keyword (homoglyphs, zero-width characters, leetspeak, spaced-out letters, mixed
// scripts), and stays quiet on the hard negatives the grooming-functional README describes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRuleSet, evaluateText } from '../rules.js';
import { builtinPacks, builtinRuleSet } from './index.js';

const compiled = compileRuleSet(builtinRuleSet());
const categoriesOf = (text: string) => new Set(evaluateText(compiled, text).map((h) => h.category));

// Obfuscations, each applied to a whole message.
const CYRILLIC: Record<string, string> = { a: 'а', e: 'е', o: 'о', p: 'р', c: 'с', x: 'х', y: 'у', i: 'і', s: 'ѕ' };
const GREEK: Record<string, string> = { a: 'α', o: 'ο', i: 'ι', k: 'κ', v: 'ν', t: 'τ', u: 'υ' };
const LEET: Record<string, string> = { a: '4', e: '3', o: '0', s: '5', t: '7' };

const homoglyphs = (s: string) => [...s].map((c) => CYRILLIC[c] ?? c).join('');
const zeroWidth = (s: string) => s.split(' ').map((w) => [...w].join('\u200b')).join(' ');
/** leet inside words longer than two letters (the way people write it: "s3nd", "p1cs", "l3ak") */
const leet = (s: string) =>
  s.split(' ').map((w) => (/^[a-z]{3,}$/.test(w) ? w[0] + [...w.slice(1)].map((c) => LEET[c] ?? c).join('') : w)).join(' ');
/**
 * The longest word spelled out with spaces: "s n a p c h a t". A word next to a one-letter word ("i m a d e")
 * is not chosen: the letters would join with it, the ambiguity a reader resolves with a dictionary.
 */
const spaced = (s: string) => {
  const words = s.split(' ');
  const solo = (i: number) => words[i] !== undefined && words[i]!.length === 1;
  const longest = words.reduce((a, w, i) => (w.length > (words[a]?.length ?? 0) && !solo(i - 1) && !solo(i + 1) ? i : a), -1);
  if (longest < 0) return s;
  words[longest] = [...words[longest]!].join(' ');
  return words.join(' ');
};
/** alternate Cyrillic and Greek lookalikes with fullwidth Latin */
const mixedScripts = (s: string) =>
  [...s].map((c, i) => (i % 3 === 0 ? (GREEK[c] ?? CYRILLIC[c] ?? c) : i % 3 === 1 && /[a-z]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('');

const OBFUSCATIONS: Record<string, (s: string) => string> = { plain: (s) => s, homoglyphs, zeroWidth, leet, spaced, mixedScripts };

interface PackCase {
  pack: string;
  positives: [text: string, category: string][];
  negatives: [text: string, category: string][];
}

const CASES: PackCase[] = [
  {
    pack: 'contact',
    positives: [
      ['add me on snapchat', 'platform_move'],
      ['whats ur sc', 'contact_request'],
      ['lets talk on telegram instead', 'platform_move'],
      ['download signal and text me', 'platform_move'],
      ['msgs disappear there so nobody can read them', 'evasion'],
      ['my number is 555 201 3344', 'contact_share'],
      ['my username is jay_22', 'contact_share'],
    ],
    negatives: [
      ['oh snap i forgot my homework', 'app_mention'],
      ['no signal in the subway', 'app_mention'],
      ['i talked to my mom about it', 'platform_move'],
    ],
  },
  {
    pack: 'photos',
    positives: [
      ['send me a pic', 'photo_request'],
      ['send me a selfie before bed', 'intimate_setting'],
      ['what are you wearing right now', 'wearing'],
      ['ur legs look so long', 'body_comment'],
      ['can i see a pic of you', 'photo_request'],
    ],
    negatives: [
      ['send me a pic of the receipt', 'photo_request'],
      ['can you send me pictures from your school play', 'photo_request'],
      ['what r u wearing tmrw', 'wearing'],
    ],
  },
  {
    pack: 'secrecy',
    positives: [
      ["don't tell your parents", 'secrecy_parents'],
      ['this is our secret', 'secrecy'],
      ['delete this chat', 'delete_chat'],
      ['do your parents check your phone', 'supervision_probe'],
      ['ill ship them to ur friends house so ur parents dont ask', 'concealment'],
      ['tell ur parents ur going with a friend', 'deception'],
      ['nobody else needs to know', 'secrecy'],
    ],
    negatives: [
      ['ok a new mug. dont tell him!!', 'secrecy_parents'],
      ['ur secrets safe w me', 'secrecy'],
      ['dont tell mom were getting her a puppy', 'secrecy_parents'],
      ['secret santa is on friday', 'secrecy'],
    ],
  },
  {
    pack: 'age',
    positives: [
      ['how old are you', 'age_probe'],
      ['asl', 'age_probe'],
      ['what grade are you in', 'school_probe'],
      ['what school do you go to', 'school_probe'],
      ['ur mature for 11', 'maturity_minor'],
      ['u look way older than 13', 'maturity_minor'],
    ],
    negatives: [
      ['how old is ur dog now', 'age_probe'],
      ['some random keeps asking me what school i go to', 'school_probe'],
      ['my sister turns 13 tmrw', 'maturity_minor'],
    ],
  },
  {
    pack: 'meeting',
    positives: [
      ['we should meet up', 'meeting'],
      ['i really wanna see you irl', 'meeting'],
      ['i can pick you up', 'transport'],
      ['where do you live', 'location_probe'],
      ['come over to my place, just us', 'private_meeting'],
    ],
    negatives: [
      ['meet at the library after school to study', 'meeting'],
      ['ok ill be in the parking lot', 'transport'],
    ],
  },
  {
    pack: 'gifts',
    positives: [
      ['i sent you a steam gift card', 'gift_offer'],
      ['want some free robux', 'obligation'],
      ['ill pay you', 'money_offer'],
      ['remember who looks out for you', 'obligation'],
      ['send it on cashapp', 'payment_app'],
      ['i can get you vbucks', 'gift_offer'],
    ],
    negatives: [
      ['thanks for the card grandma', 'gift_offer'],
      ['the store was closed', 'gift_currency'],
    ],
  },
  {
    pack: 'sextortion',
    positives: [
      ['i have your nudes', 'image_claim'],
      ['pay or i post them', 'share_threat'],
      ['ill send your pics to everyone unless you pay', 'share_threat'],
      ['everyone at your school gets it at 8am', 'share_threat'],
      ['i made fake pics of you', 'image_claim'],
      ['nobody will believe you', 'coercion'],
      ['or i leak them', 'share_threat'],
    ],
    negatives: [
      ['the new album leaked lol', 'share_threat'],
      ['if u dont return my hoodie im telling everyone u still watch cartoons', 'share_threat'],
      ['i have the pics from the trip', 'image_claim'],
    ],
  },
  {
    pack: 'trust',
    positives: [
      ['ur so mature', 'maturity'],
      ['you have an old soul', 'maturity'],
      ['id rather talk to you than my coworkers', 'special_bond'],
      ['i can tell you things i cant tell people my age', 'special_bond'],
      ['were a team, you and me', 'special_bond'],
    ],
    negatives: [
      ['this game is rated mature', 'maturity'],
      ['ty ur a genius', 'special_bond'],
    ],
  },
  {
    pack: 'context',
    positives: [
      ['its a surprise for her birthday', 'occasion'],
      ['add me for the science project', 'schoolwork'],
      ['ok thanks coach', 'family_address'],
    ],
    negatives: [['wanna hang out', 'occasion']],
  },
];

test('every built-in pack has cases here', () => {
  assert.deepEqual(CASES.map((c) => c.pack).sort(), Object.keys(builtinPacks).sort());
});

test('every built-in rule has an id scoped to its pack and a category', () => {
  for (const [pack, rules] of Object.entries(builtinPacks)) {
    for (const r of rules) {
      assert.equal(r.pack, pack);
      assert.ok(r.id.startsWith(`${pack}.`), r.id);
      assert.ok(r.weight > 0 && r.weight <= 1, r.id);
    }
  }
});

for (const c of CASES) {
  for (const [name, obfuscate] of Object.entries(OBFUSCATIONS)) {
    test(`pack ${c.pack}: positives fire (${name})`, () => {
      for (const [text, category] of c.positives) {
        const input = obfuscate(text);
        assert.ok(categoriesOf(input).has(category), `${c.pack}/${name}: expected ${category} for ${JSON.stringify(input)}`);
      }
    });
  }
  test(`pack ${c.pack}: hard negatives stay quiet`, () => {
    for (const [text, category] of c.negatives) {
      assert.ok(!categoriesOf(text).has(category), `${c.pack}: unexpected ${category} for ${JSON.stringify(text)}`);
    }
  });
}

test('hits of each pack point at the words that fired in the original text', () => {
  const text = 'hey 😊 add me on ѕn@p';
  const hit = evaluateText(compiled, text).find((h) => h.category === 'platform_move');
  assert.ok(hit);
  assert.equal(text.slice(hit.start, hit.end), 'add me on ѕn@p');
});
