// Payment card numbers: 13-19 digits (spaces or dashes between groups), known IIN prefix, Luhn checksum.

import { isDigit, isWordChar, type Detector, type Span } from "./detector.js";
import { Shape } from "./value-screen.js";

/** Luhn checksum over a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** True when the number's prefix and length fit a card network (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay, Maestro). */
export function plausibleCard(d: string): boolean {
  const n = d.length;
  const p2 = Number(d.slice(0, 2));
  const p4 = Number(d.slice(0, 4));
  if (d.startsWith("4")) return n === 13 || n === 16 || n === 19;
  if (p2 >= 51 && p2 <= 55) return n === 16;
  if (p4 >= 2221 && p4 <= 2720) return n === 16;
  if (p2 === 34 || p2 === 37) return n === 15;
  if (d.startsWith("6011") || d.startsWith("65") || (p4 >= 6440 && p4 <= 6499)) return n >= 16 && n <= 19;
  if (p2 === 36 || p2 === 38 || (p4 >= 3000 && p4 <= 3059)) return n >= 14 && n <= 19;
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19;
  if (p2 === 62) return n >= 16 && n <= 19;
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return n >= 13 && n <= 19;
  return false;
}

// 16-digit span ids (and all-digit trace ids) pass the card checks one time in ten: not after such keys.
const ID_KEY_BEFORE = /(?:trace|span|parent)[_.-]?id\W{0,4}$/i;

function afterIdKey(text: string, start: number): boolean {
  return ID_KEY_BEFORE.test(text.slice(Math.max(0, start - 16), start));
}

interface Group {
  start: number;
  end: number;
  digits: string;
}

/**
 * Scans digit runs separated by single spaces or dashes, left to right, each character once. Within a run
 * it tries consecutive groups whose digits total 13-19 and pass the prefix and Luhn checks; a bare run
 * longer than 19 digits is not a card.
 */
function findCards(text: string): Span[] {
  const out: Span[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isDigit(text.charCodeAt(i)) || (i > 0 && (isWordChar(text.charCodeAt(i - 1)) || text.charCodeAt(i - 1) === 46))) {
      i++;
      continue;
    }
    const groups: Group[] = [];
    let total = 0;
    let j = i;
    for (;;) {
      const gs = j;
      while (j < n && isDigit(text.charCodeAt(j))) j++;
      groups.push({ start: gs, end: j, digits: text.slice(gs, j) });
      total += j - gs;
      const sep = text.charCodeAt(j);
      if ((sep === 32 || sep === 45) && isDigit(text.charCodeAt(j + 1)) && total <= 64) {
        j++;
        continue;
      }
      break;
    }
    const endOk = j >= n || !(isWordChar(text.charCodeAt(j)) || (text.charCodeAt(j) === 46 && isDigit(text.charCodeAt(j + 1))));
    if (endOk) {
      for (let a = 0; a < groups.length; a++) {
        let digits = "";
        for (let b = a; b < groups.length; b++) {
          digits += (groups[b] as Group).digits;
          if (digits.length > 19) break;
          if (digits.length >= 13 && plausibleCard(digits) && luhnValid(digits) && !afterIdKey(text, (groups[a] as Group).start)) {
            out.push({ start: (groups[a] as Group).start, end: (groups[b] as Group).end });
            a = b;
            break;
          }
        }
      }
    }
    i = j + 1;
  }
  return out;
}

const CARD_HINT = /\d[\d -]{11,}\d/;

export const creditCardDetector: Detector = {
  name: "credit_card",
  screen: Shape.CARD,
  // 13+ characters of digits, spaces and dashes, starting and ending with a digit (backtracking is bounded
  // by the run length, and a run of 13 or more matches at once, so the test is linear).
  mightMatch: (text) => text.length >= 13 && CARD_HINT.test(text),
  find: findCards,
};
