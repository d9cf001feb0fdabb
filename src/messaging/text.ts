// Message text validation. Text is normalised to NFC and bounded; input that is malformed or built to attack
// renderers (lone surrogates, control characters, stacked combining marks, bidi overrides that spoof what a
// reader sees) is refused with `invalid_text`. The message says what was wrong, never what the text was.
import { DomainError } from '../errors.js';
import { MessagingErrors } from './errors.js';

const combiningMark = /\p{M}/u;
// C0 and C1 controls except tab, newline and carriage return; explicit bidi embeddings, overrides and isolates;
// Unicode noncharacters.
const forbidden = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFDD0-\uFDEF\uFFFE\uFFFF]/u;

export function normalizeMessageText(input: string, maxChars: number, maxCombiningMarks: number): string {
  if (!input.isWellFormed()) throw new DomainError(MessagingErrors.invalidText, 'text is not well-formed UTF-16');
  const text = input.normalize('NFC');
  if (text.length === 0 || text.trim().length === 0) throw new DomainError(MessagingErrors.invalidText, 'text is empty');
  if ([...text].length > maxChars) {
    throw new DomainError(MessagingErrors.invalidText, `text is longer than ${maxChars} characters`);
  }
  if (forbidden.test(text)) throw new DomainError(MessagingErrors.invalidText, 'text contains control or bidi-override characters');
  let run = 0;
  for (const ch of text) {
    if (combiningMark.test(ch)) {
      run++;
      if (run > maxCombiningMarks) {
        throw new DomainError(MessagingErrors.invalidText, `more than ${maxCombiningMarks} combining marks on one character`);
      }
    } else {
      run = 0;
    }
  }
  return text;
}
