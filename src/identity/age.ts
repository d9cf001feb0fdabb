// Age bands from a birth year. With only a year we cannot know whether the birthday has passed, so we take the
// younger of the two possible ages: a child-safety product errs towards the protections of the younger band.
export type AgeBand = 'under13' | '13-15' | '16-17' | 'adult';

export function youngestPossibleAge(birthYear: number, now: Date): number {
  return now.getUTCFullYear() - birthYear - 1;
}

export function ageBandFor(birthYear: number, now: Date = new Date()): AgeBand {
  const age = youngestPossibleAge(birthYear, now);
  if (age < 13) return 'under13';
  if (age < 16) return '13-15';
  if (age < 18) return '16-17';
  return 'adult';
}

export function isMinorBand(band: AgeBand): boolean {
  return band !== 'adult';
}
