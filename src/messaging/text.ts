// Message text validation. Text is normalised to NFC and bounded; input that is malformed or built to attack
// renderers (lone surrogates, control characters, stacked combining marks, bidi overrides that spoof what a
// reader sees) is refused with `invalid_text`. The message says what was wrong, never what the text was.
import { DomainError } from '../errors.js';
import { MessagingErrors } from './errors.js';

// C0 and C1 controls except tab, newline and carriage return; explicit bidi embeddings, overrides and isolates;
// Unicode noncharacters.
const forbidden = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFDD0-\uFDEF\uFFFE\uFFFF]/u;
// Most messages are printable ASCII (plus tab and newlines): already NFC, one code unit per character, no marks.
const plainAscii = /^[\t\n\r\x20-\x7e]*$/;
const markRuns = new Map<number, RegExp>();

/** A run of more than `max` combining marks in a row. */
function tooManyMarks(max: number): RegExp {
  let re = markRuns.get(max);
  if (!re) markRuns.set(max, (re = new RegExp(`\\p{M}{${max + 1}}`, 'u')));
  return re;
}

export function normalizeMessageText(input: string, maxChars: number, maxCombiningMarks: number): string {
  if (plainAscii.test(input)) {
    if (input.trim().length === 0) throw new DomainError(MessagingErrors.invalidText, 'text is empty');
    if (input.length > maxChars) throw new DomainError(MessagingErrors.invalidText, `text is longer than ${maxChars} characters`);
    return input;
  }
  if (!input.isWellFormed()) throw new DomainError(MessagingErrors.invalidText, 'text is not well-formed UTF-16');
  const text = input.normalize('NFC');
  if (text.length === 0 || text.trim().length === 0) throw new DomainError(MessagingErrors.invalidText, 'text is empty');
  let codePoints = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) codePoints--; // a well-formed pair counts once
  }
  if (codePoints > maxChars) {
    throw new DomainError(MessagingErrors.invalidText, `text is longer than ${maxChars} characters`);
  }
  if (forbidden.test(text)) throw new DomainError(MessagingErrors.invalidText, 'text contains control or bidi-override characters');
  if (tooManyMarks(maxCombiningMarks).test(text)) {
    throw new DomainError(MessagingErrors.invalidText, `more than ${maxCombiningMarks} combining marks on one character`);
  }
  return text;
}
