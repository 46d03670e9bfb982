import { WardenError } from "../errors.js";

/**
 * A new pack's name: lower-case letters with single underscores between words (`inventory`, `field_service`).
 * Stricter than `definePack` on purpose: the name is also the prefix of the pack's tools (`<name>_lookup`), its
 * routes (`<name>_workflow`) and its workflow id (`<name>_workflow@1`), each with rules of its own; this is what
 * all of them accept.
 */
const PACK_NAME = /^[a-z]+(?:_[a-z]+)*$/;
const MAX_LENGTH = 30;
/** Names a pack may not take: `warden` scopes the core's own migrations. */
const RESERVED = new Set(["warden"]);

/** The spellings of one pack name the templates use (`{{name}}`, `{{camel}}`, ...). */
export interface PackNames {
  /** `field_service`: the pack, its files, tools, routes, release, policy and dataset. */
  name: string;
  /** `field-service`: policy rule ids (kebab-case). */
  kebab: string;
  /** `fieldService`: TypeScript values (`fieldServicePack`). */
  camel: string;
  /** `FieldService`: TypeScript types and schemas. */
  pascal: string;
  /** `field service`: prose. */
  title: string;
  /** `FIE`: the sample records' id prefix (`FIE-101`). */
  prefix: string;
}

/**
 * Checks a pack name and derives its spellings.
 * @throws WardenError PACK_NAME_INVALID, with the rule in the message.
 */
export function packNames(raw: string | undefined): PackNames {
  const name = raw ?? "";
  if (RESERVED.has(name)) throw new WardenError("PACK_NAME_INVALID", `Pack name ${JSON.stringify(name)} is reserved for the core; choose another.`, { details: { name } });
  if (!PACK_NAME.test(name) || name.length > MAX_LENGTH) {
    throw new WardenError(
      "PACK_NAME_INVALID",
      `Pack name ${JSON.stringify(name)} is not valid: use lower-case letters with single underscores between words, at most ${MAX_LENGTH} characters (e.g. inventory, field_service).`,
      { details: { name } },
    );
  }
  const words = name.split("_");
  const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
  return {
    name,
    kebab: words.join("-"),
    camel: words[0]! + words.slice(1).map(capitalize).join(""),
    pascal: words.map(capitalize).join(""),
    title: words.join(" "),
    prefix: name.replaceAll("_", "").slice(0, 3).toUpperCase(),
  };
}
