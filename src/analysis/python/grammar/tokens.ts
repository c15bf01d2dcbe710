/**
 * The external tokenizers and the indentation tracker of the Python grammar: @lezer/python 1.1.19's
 * `src/tokens.js` (MIT, see LICENSE.lezer-python), typed, and unchanged in behaviour.
 */
import { ContextTracker, ExternalTokenizer, type InputStream } from '@lezer/lr';
import * as terms from './parser.terms';

// Read once: a module's exports can be getters (CommonJS interop), too slow for the tokenizers' inner loops.
const {
  newline: newlineToken,
  eof,
  newlineBracketed,
  blankLine,
  indent,
  dedent,
  printKeyword,
  ParenthesizedExpression,
  TupleExpression,
  ComprehensionExpression,
  PatternArgList,
  SequencePattern,
  MappingPattern,
  TypeParamList,
  withItemList,
  ArrayExpression,
  ArrayComprehensionExpression,
  ArgList,
  ParamList,
  importList,
  subscript,
  DictionaryExpression,
  DictionaryComprehensionExpression,
  SetExpression,
  SetComprehensionExpression,
  String: StringTerm,
  FormatString,
  FormatReplacement,
  nestedFormatReplacement,
  stringStart,
  stringStartD,
  stringStartL,
  stringStartLD,
  stringStartR,
  stringStartRD,
  stringStartRL,
  stringStartRLD,
  stringStartF,
  stringStartFD,
  stringStartFL,
  stringStartFLD,
  stringStartFR,
  stringStartFRD,
  stringStartFRL,
  stringStartFRLD,
  stringContent,
  Escape,
  replacementStart,
  stringEnd,
  ParenL,
  BraceL,
  BracketL,
} = terms;

const newline = 10,
  carriageReturn = 13,
  space = 32,
  tab = 9,
  hash = 35,
  braceOpen = 123,
  braceClose = 125,
  singleQuote = 39,
  doubleQuote = 34,
  backslash = 92,
  letterO = 111,
  letterX = 120,
  letterN = 78,
  letterU = 117,
  letterUpperU = 85;

const bracketed = new Set([
  ParenthesizedExpression,
  TupleExpression,
  ComprehensionExpression,
  importList,
  ArgList,
  ParamList,
  ArrayExpression,
  ArrayComprehensionExpression,
  subscript,
  SetExpression,
  SetComprehensionExpression,
  FormatString,
  FormatReplacement,
  nestedFormatReplacement,
  DictionaryExpression,
  DictionaryComprehensionExpression,
  SequencePattern,
  MappingPattern,
  PatternArgList,
  TypeParamList,
  withItemList,
]);

function isLineBreak(ch: number): boolean {
  return ch === newline || ch === carriageReturn;
}

function isHex(ch: number): boolean {
  return (ch >= 48 && ch <= 57) || (ch >= 65 && ch <= 70) || (ch >= 97 && ch <= 102);
}

// Flags of a Context.
const cxBracketed = 1,
  cxString = 2,
  cxDoubleQuote = 4,
  cxLong = 8,
  cxRaw = 16,
  cxFormat = 32;

class Context {
  readonly hash: number;
  constructor(
    readonly parent: Context | null,
    readonly indent: number,
    readonly flags: number,
  ) {
    // Upstream's expression, kept as it is (`+` binds tighter than `<<`): the hash only has to be stable.
    this.hash = (parent ? (parent.hash + parent.hash) << 8 : 0) + indent + (indent << 4) + flags + (flags << 6);
  }
}

const topIndent = new Context(null, 0, 0);

function countIndent(space: string): number {
  let depth = 0;
  for (let i = 0; i < space.length; i++) depth += space.charCodeAt(i) === tab ? 8 - (depth % 8) : 1;
  return depth;
}

const stringFlags = new Map<number, number>(
  (
    [
      [stringStart, 0],
      [stringStartD, cxDoubleQuote],
      [stringStartL, cxLong],
      [stringStartLD, cxLong | cxDoubleQuote],
      [stringStartR, cxRaw],
      [stringStartRD, cxRaw | cxDoubleQuote],
      [stringStartRL, cxRaw | cxLong],
      [stringStartRLD, cxRaw | cxLong | cxDoubleQuote],
      [stringStartF, cxFormat],
      [stringStartFD, cxFormat | cxDoubleQuote],
      [stringStartFL, cxFormat | cxLong],
      [stringStartFLD, cxFormat | cxLong | cxDoubleQuote],
      [stringStartFR, cxFormat | cxRaw],
      [stringStartFRD, cxFormat | cxRaw | cxDoubleQuote],
      [stringStartFRL, cxFormat | cxRaw | cxLong],
      [stringStartFRLD, cxFormat | cxRaw | cxLong | cxDoubleQuote],
    ] as const
  ).map(([term, flags]) => [term, flags | cxString]),
);

/**
 * Line breaks: a statement's end (`newline`), or, where no statement is open, the end of a blank or
 * comment-only line (`blankLine`, skipped). `\r\n`, `\n` and `\r` each end a line, as in Python.
 */
export const newlines = new ExternalTokenizer(
  (input, stack) => {
    if (input.next < 0) {
      input.acceptToken(eof);
      return;
    }
    if (!isLineBreak(input.next)) return;
    const length = input.next === carriageReturn && input.peek(1) === newline ? 2 : 1;
    if ((stack.context as Context).flags & cxBracketed) input.acceptToken(newlineBracketed, length);
    else input.acceptToken(stack.canShift(newlineToken) ? newlineToken : blankLine, length);
  },
  { contextual: true },
);

export const indentation = new ExternalTokenizer((input, stack) => {
  const context = stack.context as Context;
  if (context.flags) return;
  const prev = input.peek(-1);
  if (prev === newline || prev === carriageReturn) {
    let depth = 0,
      chars = 0;
    for (;;) {
      if (input.next === space) depth++;
      else if (input.next === tab) depth += 8 - (depth % 8);
      else break;
      input.advance();
      chars++;
    }
    if (depth !== context.indent && input.next !== newline && input.next !== carriageReturn && input.next !== hash) {
      if (depth < context.indent) input.acceptToken(dedent, -chars);
      else input.acceptToken(indent);
    }
  }
});

export const trackIndent = new ContextTracker<Context>({
  start: topIndent,
  reduce(context, term) {
    if (
      (context.flags & cxBracketed && bracketed.has(term)) ||
      ((term === StringTerm || term === FormatString) && context.flags & cxString)
    )
      return context.parent ?? context;
    return context;
  },
  shift(context, term, stack, input) {
    // `read` is InputStream's own (upstream calls it too), left out of its typings.
    if (term === indent)
      return new Context(context, countIndent((input as unknown as Readable).read(input.pos, stack.pos)), 0);
    if (term === dedent) return context.parent ?? context;
    if (term === ParenL || term === BracketL || term === BraceL || term === replacementStart)
      return new Context(context, 0, cxBracketed);
    const flags = stringFlags.get(term);
    if (flags !== undefined) return new Context(context, 0, flags | (context.flags & cxBracketed));
    return context;
  },
  hash(context) {
    return context.hash;
  },
});

interface Readable {
  read(from: number, to: number): string;
}

const PRINT = 'print';

/** Words after which `print` is a name in Python 3 code (`print if verbose else log`), not Python 2's statement. */
const AFTER_PRINT_NAME = new Set(['if', 'else', 'and', 'or', 'not', 'is', 'in', 'for', 'as']);

/**
 * Python 2's `print x` statement. Fork: only before what can start its operand (a name that is not an
 * operator word, a number, a string), so that Python 3's `print = log.info` or `print, x = ...` parse.
 */
export const legacyPrint = new ExternalTokenizer((input) => {
  for (let i = 0; i < PRINT.length; i++) {
    if (input.next !== PRINT.charCodeAt(i)) return;
    input.advance();
  }
  if (/\w/.test(String.fromCharCode(input.next))) return;
  let off = 0;
  while (input.peek(off) === space || input.peek(off) === tab) off++;
  const first = String.fromCharCode(input.peek(off));
  let word = '';
  for (let c = input.peek(off); c >= 0 && /\w/.test(String.fromCharCode(c)); c = input.peek(off + word.length))
    word += String.fromCharCode(c);
  const operand = (word !== '' && !AFTER_PRINT_NAME.has(word)) || first === '"' || first === "'";
  if (operand) input.acceptToken(printKeyword);
});

export const strings = new ExternalTokenizer((input, stack) => {
  const { flags } = stack.context as Context;
  const quote = flags & cxDoubleQuote ? doubleQuote : singleQuote;
  const long = (flags & cxLong) > 0;
  const escapes = !(flags & cxRaw);
  const format = (flags & cxFormat) > 0;

  const start = input.pos;
  for (;;) {
    if (input.next < 0) {
      break;
    } else if (format && input.next === braceOpen) {
      if (input.peek(1) === braceOpen) {
        input.advance(2);
      } else {
        if (input.pos === start) {
          input.acceptToken(replacementStart, 1);
          return;
        }
        break;
      }
    } else if (escapes && input.next === backslash) {
      if (input.pos === start) {
        input.advance();
        const escaped = input.next;
        if (escaped >= 0) {
          input.advance();
          skipEscape(input, escaped);
        }
        input.acceptToken(Escape);
        return;
      }
      break;
    } else if (input.next === backslash && !escapes && input.peek(1) > -1) {
      // Raw strings still ignore escaped quotes.
      input.advance(2);
    } else if (input.next === quote && (!long || (input.peek(1) === quote && input.peek(2) === quote))) {
      if (input.pos === start) {
        input.acceptToken(stringEnd, long ? 3 : 1);
        return;
      }
      break;
    } else if (input.next === newline) {
      if (long) {
        input.advance();
      } else if (input.pos === start) {
        input.acceptToken(stringEnd);
        return;
      }
      break;
    } else {
      input.advance();
    }
  }
  if (input.pos > start) input.acceptToken(stringContent);
});

function skipEscape(input: InputStream, ch: number): void {
  if (ch === letterO) {
    for (let i = 0; i < 2 && input.next >= 48 && input.next <= 55; i++) input.advance();
  } else if (ch === letterX) {
    for (let i = 0; i < 2 && isHex(input.next); i++) input.advance();
  } else if (ch === letterU) {
    for (let i = 0; i < 4 && isHex(input.next); i++) input.advance();
  } else if (ch === letterUpperU) {
    for (let i = 0; i < 8 && isHex(input.next); i++) input.advance();
  } else if (ch === letterN) {
    if (input.next !== braceOpen) return;
    input.advance();
    // `\N{NAME}`: up to the closing brace, or the end of the string's line.
    const next = (): number => input.next;
    while (next() >= 0 && ![braceClose, singleQuote, doubleQuote, newline].includes(next())) input.advance();
    if (next() === braceClose) input.advance();
  }
}
