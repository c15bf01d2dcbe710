/**
 * The command line's flags, parsed one way for every command: an unknown flag is refused ("unknown option
 * --bogus"), each bad value says what it should be ("--epochs must be a whole number from 1 to 100000, got -1"),
 * and lookups by the user's word go through a Map, so `constructor` or `__proto__` are only unknown words.
 * Usage errors come back as messages, never as exceptions.
 */

/** The most epochs `--epochs` allows: what a config's training.epochs may be. */
export const MAX_EPOCHS = 100_000;

/** Reads a flag's value: the value, or what it should have been. */
export type ValueReader<T> = (text: string) => { value: T } | { error: string };

export interface FlagSpec {
  /** A flag with a value (`--epochs 5` or `--epochs=5`); without, a switch (`--json`). */
  read?: ValueReader<unknown>;
  /** What the value should be, for "needs a value" ("a whole number from 1 to 100000"). */
  expects?: string;
}

export interface ParsedArgs {
  /** Each flag given, by its name: `true` for a switch, the read value otherwise. The last one given wins. */
  flags: Map<string, unknown>;
  positional: string[];
}

/** A user's text as a message shows it: plain when it is one simple word, quoted otherwise. */
export function shown(text: string): string {
  return /^[^\s"'\\]+$/.test(text) ? text : JSON.stringify(text);
}

/** A whole number in [min, max]; the message says so. */
export function wholeNumber(flag: string, min: number, max: number): FlagSpec {
  const expects = `a whole number from ${min} to ${max}`;
  return {
    expects,
    read: (text) => {
      const n = /^[+-]?\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max)
        return { error: `${flag} must be ${expects}, got ${shown(text)}` };
      return { value: n };
    },
  };
}

/** One of a few words. */
export function oneOf<T extends string>(flag: string, words: readonly T[]): FlagSpec {
  const expects = words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words.at(-1)}` : String(words[0]);
  return {
    expects,
    read: (text) =>
      (words as readonly string[]).includes(text)
        ? { value: text }
        : { error: `${flag} must be ${expects}, got ${shown(text)}` },
  };
}

/**
 * Parses `args` against the flags a command takes. `--help`/`-h` anywhere answers 'help'. `--` ends the
 * flags (what follows is positional, even when it starts with a dash); a lone `-` is positional.
 */
export function parseArgs(
  args: readonly string[],
  specs: ReadonlyMap<string, FlagSpec>,
): ParsedArgs | 'help' | { error: string } {
  const flags = new Map<string, unknown>();
  const positional: string[] = [];
  let onlyPositional = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (onlyPositional || arg === '-' || !arg.startsWith('-')) {
      positional.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositional = true;
      continue;
    }
    if (arg === '--help' || arg === '-h') return 'help';
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = specs.get(name);
    if (!spec) return { error: `unknown option ${shown(name)}` };
    if (!spec.read) {
      if (eq > 0) return { error: `${name} takes no value, got ${shown(arg.slice(eq + 1))}` };
      flags.set(name, true);
      continue;
    }
    let text: string | undefined;
    if (eq > 0) text = arg.slice(eq + 1);
    else {
      const next = args[i + 1];
      // A following flag is no value; a negative number is one (so that "-1" is refused for what it is).
      if (next !== undefined && !(next.startsWith('--') || (next.startsWith('-') && !/^-[\d.]/.test(next)))) {
        text = next;
        i++;
      }
    }
    if (text === undefined) return { error: `${name} needs a value${spec.expects ? `: ${spec.expects}` : ''}` };
    const read = spec.read(text);
    if ('error' in read) return { error: read.error };
    flags.set(name, read.value);
  }
  return { flags, positional };
}
