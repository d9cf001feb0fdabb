/**
 * Small hand-written word classes that let the model generalise beyond the exact words it was trained
 * on: identity terms (the groups hate is aimed at), slurs, negative and positive sentiment, violence,
 * profanity, negation cues, and the vocabulary of counter-speech ("saying things like ... is bigoted").
 *
 * Why: a bag of n-grams learns "love women" and "hate women" only for the sentences it has seen. With a
 * class symbol for each of these words, "I adore Muslims" and "I love women" share the features
 * "POS IDENT", and "I don't detest immigrants" shares "not + NEGATIVE + IDENT" with "I don't hate women",
 * so the model can weigh the structure of a statement and not only its words.
 *
 * Lookup is by the FNV-1a hash of the token (the same hash the word features use), in a small
 * open-addressing table: no strings are built at scoring time. Misspelt forms are added for longer words
 * (one interior letter deleted, or two adjacent interior letters swapped: "womn", "hatrd", "klil"), except
 * forms listed in `NOT_VARIANTS` that are ordinary words of their own.
 *
 * The lists are part of the model: changing any of them changes features, so LEXICON_ID (a hash of the
 * expanded table) is stored in the model file and checked at load, like the normaliser's fingerprint.
 * All entries are lowercase and without apostrophes, as prep.ts delivers text.
 */

import { fnv1a32 } from './hash.js';

/** Word classes. 0 means "no class". */
export const enum Lex {
  None = 0,
  /** a protected group named by itself: women, muslims, immigrants, gays */
  Ident = 1,
  /** a group adjective that names a group with a person noun: black people, white folks, disabled person */
  IdentAdj = 2,
  /** person nouns that complete an IdentAdj: people, person, folks, men, women, lives */
  Person = 3,
  /** slurs for race, ethnicity, nationality and religion */
  Slur = 4,
  /** gendered insults (Davidson codes many as offensive, HateCheck as slurs against women) */
  GSlur = 5,
  /** negative emotion toward someone: hate, despise, detest, disgusted */
  NegEmo = 6,
  /** derogatory attributes: stupid, disgusting, worthless, ignorant */
  Derog = 7,
  /** dehumanising nouns: vermin, cockroaches, parasites, trash, scum */
  Dehum = 8,
  /** violence and death: kill, shoot, rape, die, exterminate */
  Viol = 9,
  /** positive sentiment: love, admire, proud, wonderful, kind */
  Pos = 10,
  /** general profanity: fuck, shit, damn, bastard */
  Prof = 11,
  /** negation cues that open a negation scope: not, dont, never, no */
  Neg = 12,
  /** words that name or condemn bigotry: bigot, racist, hateful, unacceptable */
  Counter = 13,
  /** reporting speech: say, said, call, write, post, statement, words */
  Meta = 14,
  /** second person: you, your, u, ur */
  You = 15,
  /** scope breakers: but, although, though, however */
  Break = 16,
  /** first person: i, me, my, we, us, our */
  Self = 17,
  /** the n-word spelt as in African-American English, mostly reclaimed or in-group use in Davidson */
  RSlur = 18,
  /** common function words; only used to split run-together words ("fuckall", "manybitches") */
  Func = 19,
  /** slurs for sexual orientation and gender identity */
  SlurLgbt = 20,
  /** slurs for disability */
  SlurAble = 21,
}


const W = (s: string): string[] => s.trim().split(/\s+/);

/** The word lists (lowercase, apostrophes removed). A word is in at most one class. */
export const LEXICON: Record<Exclude<Lex, Lex.None>, string[]> = {
  [Lex.Ident]: W(`
    women woman womens womankind females muslims muslim moslems islamic jews jew jewish judaism
    immigrants immigrant migrants migrant refugees refugee foreigners foreigner illegals
    gays gay lesbians lesbian bisexuals bisexual homosexuals homosexual lgbt lgbtq lgbtqia queers
    trans transgender transgenders transsexual transsexuals transwomen transmen nonbinary
    blacks africans african mexicans mexican asians arabs arab hispanics hispanic latinos latino latinas latina
    indians pakistanis chinese koreans japanese hindus sikhs gypsies roma christians catholics
    disabled handicapped autistic paraplegics minorities minority
  `),
  [Lex.IdentAdj]: W(`black white brown asian native deaf blind mentally`),
  [Lex.Person]: W(`
    people person persons folk folks men man guys guy kids kid girls girl boys boy lives life
    community communities population individuals individual americans users
  `),
  [Lex.Slur]: W(`
    nigger niggers niger negro negroes coon coons spook jigaboo porchmonkey
    sambo darkie darkies wetback wetbacks beaner beaners spic spics chink chinks gook gooks kike kikes
    raghead ragheads towelhead towelheads muzzie muzzies jihadi jihadis sandnigger paki pakis wog wogs
    rapefugee rapefugees camelfucker camelfuckers cracker crackers honky honkies gringo redskin redskins injun
  `),
  [Lex.SlurLgbt]: W(`
    faggot faggots fag fags faggy fagot dyke dykes lesbo lesbos homo homos poof poofs poofter tranny trannies
    shemale shemales ladyboy
  `),
  [Lex.SlurAble]: W(`
    retard retards retarded tard tards cripple cripples crippled mong mongs mongoloid spaz spastic spastics
  `),
  [Lex.GSlur]: W(`
    bitch bitches biatch bitchy hoe hoes ho hos whore whores slut sluts skank skanks cunt cunts twat twats
    thot thots pussy pussies
  `),
  [Lex.NegEmo]: W(`
    hate hates hated hating hatred hater despise despises despised detest detests detested loathe loathes
    loathed loathing abhor abhors abhorred disgust disgusts disgusted contempt scorn disdain resent resents
    sick tired fed annoyed annoy annoying dislike dislikes
      furious anger angry angers rage enraged fury irritate irritated irritating sickened sickening
    nauseating nauseated repulsed appalled horrified afraid scared creepy cringe intolerable unbearable
    resentment spite hostile hostility loathsome odious enemy enemies
  `),
  [Lex.Derog]: W(`
    stupid stupidest dumb dumbest idiot idiots idiotic moron morons moronic ignorant pathetic worthless
    useless lazy dirty filthy disgusting despicable repulsive revolting gross nasty ugly evil vile inferior
    lesser primitive backward dangerous violent criminal criminals thieves thief liars liar dishonest
    incompetent brainless mindless clueless weak insane crazy psycho psychos freaks freak freaky
    worst terrible horrible awful pitiful shameful dishonourable dishonorable unworthy unfit hideous
    contemptible stink stinks stinking smelly degenerate degenerates perverts pervert sinful abomination
    abominations mistake burden
      worse danger dangers threat threats menace ruin ruins ruined ruining problem problems curse
    cursed incapable unintelligent dimwitted simpleminded barbaric barbarians uncivilised uncivilized backwards
    hypocrites hypocrite frauds fraud cheats manipulative deceitful greedy selfish arrogant rude stinky
    unclean impure diseased hysterical irrational feeble uneducated illiterate deranged unhinged delusional
    unnatural abnormal perverted deviant deviants sinners immoral wicked corrupt traitors invaders invade
    invading invasion overrun swamped scroungers spongers drain pointless hopeless disgrace disgraceful
    embarrassment embarrassing laughable ridiculous lame losers loser failures failure
  `),
  [Lex.Dehum]: W(`
    vermin rats rat cockroaches cockroach roaches pests pest parasites parasite leeches leech animals animal
    beasts beast apes ape monkeys monkey pigs pig dogs swine subhuman subhumans creatures creature
    savage savages trash garbage rubbish filth scum scumbags scumbag dirt refuse waste plague virus disease cancer
    infestation infest infesting swarm swarms insects insect maggots maggot lice germs bacteria
      locusts rodents rodent snakes serpents worms slugs goats donkeys gorillas gorilla chimps
    baboons primates brutes monsters monster demons devils zombies cattle livestock landfill sewage
    excrement feces tumor tumour infection pollution contamination stain rot rotten sludge slime sewer
  `),
  [Lex.Viol]: W(`
    kill kills killed killing killings murder murders murdered murdering shoot shoots shot shooting stab
    stabs stabbed stabbing hang hanged hanging lynch lynched lynching burn burned burnt burning gas gassed
    exterminate exterminated extermination eradicate eradicated slaughter slaughtered massacre genocide
    die dies died dying death dead rape raped raping rapes hurt hurts hurting attack
    attacked attacking execute executed execution executions torture tortured torturing bomb bombed
    destroy destroyed eliminate eliminated deport deported deportation punch punched strangle strangled
    drown drowned behead beheaded slit throats throat necks neck harm harmed suffer suffering
    annihilate wipe wiped purge cleanse cleansing
      rid dumped dump locked cage caged cages imprisoned expel expelled exile crush crushed smash
    smashed kick kicked slap slapped choke choked hunt hunted hunting castrate sterilise sterilize
    sterilised sterilized euthanize euthanise euthanised poison poisoned bury buried annihilated obliterate
    extinct extinction remove removed eradication gun guns bullet bullets knife rifle
  `),
  [Lex.Pos]: W(`
    love loves loved loving lovely adore adores adored admire admires admired admirable respect respects
    respected appreciate appreciates appreciated cherish cherished celebrate celebrated honour honoured
    honor honored value valued valuable treasure proud pride great greatest wonderful amazing awesome
    beautiful gorgeous brilliant fantastic excellent incredible inspiring inspirational kind kindness
    compassionate caring generous gentle friendly honest brave courageous strong smart intelligent clever
    talented gifted heroes hero blessing blessed happy glad joy delighted smile smiles hug hugs support
    supports supported welcome welcomed equal equals worthy precious good nice best
    thank thanks grateful trust trusted safe protect protected embrace help helping heal
      admiration adoration fond fondness affection affectionate warm warmth sweet lovable charming
    pleasant delightful marvelous marvellous superb outstanding remarkable impressive genius wise bright
    capable competent skilled skillful hardworking reliable loyal faithful decent fair noble heroic beloved
    dear cute pretty handsome stunning attractive fun funny cool irreplaceable essential vital important
    enrich enriches enriched contribute contribution contributions benefit beneficial asset assets
    privilege pleasure equality rights dignity peace peaceful thrive succeed success successful winner
    champion champions inspire inspired empower empowered empowering strength courage bravery wisdom beauty
    excellence respectful polite tolerant accepting acceptance understanding compassion empathy sympathy
    solidarity ally allies friend friends friendship
      human humans humanity alive live living belong belongs right
  `),
  [Lex.Prof]: W(`
    fuck fucks fucked fucking fuckin fucker fuckers fck fk fuk shit shits shitty shithead bullshit damn
    damned ass asses asshole assholes arse bastard bastards dick dicks dickhead dickheads prick pricks
    motherfucker motherfuckers motherfucking piss pissed pissing crap wtf stfu douche douchebag jerk
  `),
  [Lex.Neg]: W(`
    not no never dont doesnt didnt isnt arent wasnt werent cant cannot couldnt wont wouldnt shouldnt mustnt
    neednt havent hasnt hadnt aint nobody none nothing neither nor without opposite
  `),
  [Lex.Counter]: W(`
    bigot bigots bigoted bigotry racist racists racism sexist sexists sexism misogynist misogynists misogyny
    homophobic homophobe homophobes homophobia transphobic transphobia islamophobic islamophobia xenophobic
    xenophobia antisemitic antisemitism hateful hurtful offensive unacceptable intolerant intolerance
    prejudice prejudiced discrimination discriminate ashamed shame wrong misguided deplorable
    consequences jail prison report reported block blocked banned ban condemn
      slurs insults insulting abuse abusive harassment harass toxic nazis nazi fascist fascists
    bullies bully bullying stop stopped disheartening appalling outrageous shocking inexcusable
    saddening
  `),
  [Lex.Meta]: W(`
    say says saying said call calls calling called write writes writing wrote written post posts posted
    posting tweet tweets tweeting statement statements comment comments words word remark remarks claim
    claims claiming quote quoted quoting talk talking
      telling tell tells told threatening threaten spreading spread repeat repeating language
    insult
  `),
  [Lex.You]: W(`you your youre yours yourself yourselves u ur ya yall`),
  [Lex.Break]: W(`but although though however whereas yet because since unless until`),
  [Lex.Self]: W(`i me my mine myself we us our ours ourselves im ive`),
  [Lex.RSlur]: W(`nigga niggas niggaz nigguh niggah nigg`),
  [Lex.Func]: W(`
    all many the an are is be to of so too such these those them they what this that with for and or in on
    at as off up out get go just much very really any every some more most than then there here who
  `),
};

/**
 * Words that, within two tokens after a negation cue, mean the cue does not negate what follows:
 * "nothing but", "not only", "dont forget", "without a doubt", "nothing worse", "isnt it clear".
 */
export const NEGATION_CANCEL: readonly string[] = W(`
  but only just forget doubt worse better more less else surprised wonder longer obvious clear apparent
  realise realize
`);

/**
 * Misspelt variants (interior deletion or swap) that are ordinary words of their own, or too ambiguous
 * to count as the word they were derived from. Reviewed by hand against common English.
 */
export const NOT_VARIANTS = new Set(
  W(`
    want back down money same beat beats pick taking clam clams lies tank tanks tough cuts moon shots pure
    wheres yous hats sink heres uses tied cray americas tats garage strange sits naive unit swam depot posed
    posing bind ding raps downed lovey prod greta pots bock backs cleaning tots lech gers wast chik thts bron
    tried form from sure later hoped dose does diet dart wore batch treat treats fried petty gots cure runs
    chips coke site loses pets fees nobel sacred peasant agers def
  `),
);

/** Classes whose longer words get misspelt variants. */
const FUZZY_CLASSES = new Set<Lex>([Lex.Ident, Lex.IdentAdj, Lex.Slur, Lex.SlurLgbt, Lex.SlurAble, Lex.RSlur, Lex.NegEmo, Lex.Derog, Lex.Dehum, Lex.Viol, Lex.Pos, Lex.Prof]);
/** Shortest word that gets variants: deletions from 5 letters (3 for identity words), swaps from 4. */
const FUZZY_MIN_DELETE = 5;
const FUZZY_MIN_DELETE_IDENT = 3;
const FUZZY_MIN_SWAP = 4;

export function variants(w: string, identity = false): string[] {
  const out: string[] = [];
  // One interior letter deleted (first and last letters kept).
  if (w.length >= (identity ? FUZZY_MIN_DELETE_IDENT : FUZZY_MIN_DELETE)) {
    for (let i = 1; i < w.length - 1; i++) out.push(w.slice(0, i) + w.slice(i + 1));
  }
  if (w.length < FUZZY_MIN_SWAP) return out;
  // Two adjacent letters swapped, first letter kept.
  for (let i = 1; i < w.length - 1; i++) {
    if (w[i] === w[i + 1]) continue;
    out.push(w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2));
  }
  return out;
}

/** Expanded table: word -> class. Exact words first, then variants (first class wins, no overrides). */
function expand(): Map<string, Lex> {
  const table = new Map<string, Lex>();
  const classes = Object.keys(LEXICON).map(Number).sort((a, b) => a - b) as Exclude<Lex, Lex.None>[];
  for (const c of classes) for (const w of LEXICON[c]) if (!table.has(w)) table.set(w, c);
  for (const c of classes) {
    if (!FUZZY_CLASSES.has(c)) continue;
    for (const w of LEXICON[c]) {
      for (const v of variants(w, c === Lex.Ident || c === Lex.IdentAdj)) if (!table.has(v) && !NOT_VARIANTS.has(v)) table.set(v, c);
    }
  }
  return table;
}

const EXPANDED = expand();

/** lexInfo: the class is in the low five bits ... */
export const LEX_CLASS_MASK = 0x1f;
/** ... and this bit marks a word that cancels a preceding negation cue (NEGATION_CANCEL). */
export const LEX_CANCEL = 0x20;

// Open addressing on the token hash: keys are FNV-1a hashes, values class | flags; `used` marks slots.
const TABLE_BITS = 15;
const TABLE_MASK = (1 << TABLE_BITS) - 1;
const keys = new Int32Array(1 << TABLE_BITS);
const vals = new Uint8Array(1 << TABLE_BITS);
const used = new Uint8Array(1 << TABLE_BITS);
const slotOf = (h: number) => Math.imul(h, 0x9e3779b1) >>> (32 - TABLE_BITS);
// A 64-kbit filter in front of the table: most tokens are not in the lexicon and are turned away by one
// bit test on a table small enough to stay in the L1 cache.
const filter = new Int32Array(2048);
const filterBit = (h: number) => Math.imul(h, 0x2545f491) >>> 16;
{
  const info = new Map<string, number>();
  for (const [w, c] of EXPANDED) info.set(w, c);
  for (const w of NEGATION_CANCEL) info.set(w, (info.get(w) ?? Lex.None) | LEX_CANCEL);
  if (info.size > (1 << TABLE_BITS) / 2) throw new Error('lexicon table too small');
  const seen = new Map<number, string>();
  for (const [w, v] of info) {
    const h = fnv1a32(w);
    const prev = seen.get(h);
    if (prev !== undefined) throw new Error(`lexicon: hash collision between "${prev}" and "${w}"`);
    seen.set(h, w);
    let i = slotOf(h);
    while (used[i]) i = (i + 1) & TABLE_MASK;
    used[i] = 1;
    keys[i] = h | 0;
    vals[i] = v;
    const f = filterBit(h);
    filter[f >>> 5] |= 1 << (f & 31);
  }
}

/**
 * Class and flags of the token whose FNV-1a hash (no namespace) is `h`: `info & LEX_CLASS_MASK` is its
 * Lex class (Lex.None if it is not in the lexicon), `info & LEX_CANCEL` marks a negation-cancelling word.
 */
export function lexInfo(h: number): number {
  const f = filterBit(h);
  if ((filter[f >>> 5] & (1 << (f & 31))) === 0) return Lex.None;
  let i = slotOf(h);
  const key = h | 0;
  while (used[i]) {
    if (keys[i] === key) return vals[i];
    i = (i + 1) & TABLE_MASK;
  }
  return Lex.None;
}

/** Class of the token whose FNV-1a hash is `h`. */
export function lexClass(h: number): Lex {
  return (lexInfo(h) & LEX_CLASS_MASK) as Lex;
}

/** Identifies the expanded lexicon; stored in the model file. */
export const LEXICON_ID = (() => {
  let h = 0x811c9dc5;
  for (const [w, c] of [...EXPANDED].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    h = Math.imul(h ^ fnv1a32(w), 0x01000193) >>> 0;
    h = Math.imul(h ^ c, 0x01000193) >>> 0;
  }
  for (const w of NEGATION_CANCEL) h = Math.imul(h ^ fnv1a32(`cancel:${w}`), 0x01000193) >>> 0;
  return `lexicon#${h.toString(16).padStart(8, '0')}#${EXPANDED.size}`;
})();

/** The expanded table (word -> class), for tests and tools. */
export const LEXICON_TABLE: ReadonlyMap<string, Lex> = EXPANDED;
