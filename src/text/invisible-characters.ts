/**
 * Characters that change how text is displayed without being visible themselves: bidirectional embeddings,
 * overrides, isolates and marks (a U+202E makes `txt.exe` read as `exe.txt`), zero-width and invisible
 * operators, the BOM (U+FEFF), interlinear annotations, and Unicode tag characters (U+E0000–U+E007F, which
 * smuggle ASCII text past a human reader to a model). A person approving a call must see what will run.
 *
 * Not in the set: ZWNJ and ZWJ (U+200C, U+200D): emoji sequences and several scripts (Persian, Indic) need
 * them. C0 controls are refused separately by the schemas that take human text.
 */
const INVISIBLE_CLASS =
  "\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF\\uFFF9-\\uFFFB\\u{E0000}-\\u{E007F}";

// The `u` flag makes a tag character (a surrogate pair in UTF-16) one code point of the class.
const INVISIBLE = new RegExp(`[${INVISIBLE_CLASS}]`, "u");
const INVISIBLE_ALL = new RegExp(`[${INVISIBLE_CLASS}]`, "gu");

/** The first invisible or bidirectional control character of `text`, as `U+202E`, or undefined when it has none. */
export function findInvisibleCharacter(text: string): string | undefined {
  const match = INVISIBLE.exec(text);
  if (!match) return undefined;
  return `U+${match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** The validation message for text holding `found` (e.g. `U+202E`). */
export function invisibleCharacterMessage(found: string): string {
  return `must not contain invisible or bidirectional control characters (found ${found})`;
}

/** `text` without its invisible and bidirectional control characters (the same string when it has none). */
export function stripInvisibleCharacters(text: string): string {
  return INVISIBLE.test(text) ? text.replace(INVISIBLE_ALL, "") : text;
}

/**
 * A copy of a JSON-like value with the invisible characters removed from every string in it (object keys
 * included), or the value itself when nothing changed, so callers can tell by identity. Walks without
 * recursion: a model can nest arguments arbitrarily deep.
 */
export function stripInvisibleCharactersDeep<T>(value: T): T {
  if (!containsInvisibleDeep(value)) return value;
  return cleanCopy(value) as T;
}

/** True when any string inside `value` (object keys included) holds an invisible character. */
export function containsInvisibleDeep(value: unknown): boolean {
  return findInvisibleCharacterDeep(value) !== undefined;
}

/** The first invisible character (as `U+XXXX`) of any string inside `value`, object keys included. */
export function findInvisibleCharacterDeep(value: unknown): string | undefined {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const current = pending.pop();
    if (typeof current === "string") {
      const found = findInvisibleCharacter(current);
      if (found) return found;
    } else if (Array.isArray(current)) {
      pending.push(...current);
    } else if (current !== null && typeof current === "object") {
      for (const [key, item] of Object.entries(current)) {
        const found = findInvisibleCharacter(key);
        if (found) return found;
        pending.push(item);
      }
    }
  }
  return undefined;
}

// Copies arrays and plain objects breadth-first with an explicit work list; other values are kept as they are.
function cleanCopy(value: unknown): unknown {
  const copy = (source: unknown): unknown => {
    if (typeof source === "string") return stripInvisibleCharacters(source);
    if (Array.isArray(source)) return new Array<unknown>(source.length);
    if (source !== null && typeof source === "object") return {};
    return source;
  };
  const root = copy(value);
  const pending: Array<{ source: unknown; target: unknown }> = [{ source: value, target: root }];
  while (pending.length > 0) {
    const { source, target } = pending.pop()!;
    if (Array.isArray(source)) {
      const array = target as unknown[];
      source.forEach((item, index) => {
        array[index] = copy(item);
        pending.push({ source: item, target: array[index] });
      });
    } else if (source !== null && typeof source === "object") {
      const object = target as Record<string, unknown>;
      for (const [key, item] of Object.entries(source)) {
        const child = copy(item);
        Object.defineProperty(object, stripInvisibleCharacters(key), { value: child, enumerable: true, writable: true, configurable: true });
        pending.push({ source: item, target: child });
      }
    }
  }
  return root;
}
