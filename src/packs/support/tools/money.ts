import { z } from "zod";

/** Largest amount an `integer` cents column holds (2^31 - 1 cents). */
const MAX_AMOUNT = 21_474_836.47;

/** A positive decimal amount with at most 2 decimals, as tools exchange it (the database keeps integer cents). */
export const positiveAmount = z
  .number()
  .positive()
  .max(MAX_AMOUNT)
  // Binary floats: 0.1 + 0.2 is 30.000000000000004 cents, which is still "2 decimals".
  .refine((value) => Math.abs(value * 100 - Math.round(value * 100)) < 1e-6, "must have at most 2 decimals");

export const toCents = (amount: number): number => Math.round(amount * 100);

export const fromCents = (cents: number | string | bigint): number => Number(cents) / 100;
