/**
 * Zod schema of a subscription's filters, as the server validates them: flat, at most
 * `Limits.maxFilterKeys` keys, scalar or array-of-scalar values, bounded sizes (at most
 * `Limits.maxFiltersBytes` bytes of JSON in UTF-8).
 */
import { z } from 'zod';
import { filtersByteLength } from './filters.js';
import { Limits } from './limits.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const scalarSchema = z.union([
  z.string().max(Limits.maxFilterStringLength),
  z.number().refine(Number.isFinite, 'must be a finite number'),
  z.boolean(),
]);

/** Zod schema of a filters object (flat, at most 16 keys, scalar or array-of-scalar values). */
export const filtersSchema = z
  // JSON.parse keeps "__proto__" as an own key but zod would drop it silently; refuse it instead.
  .custom<unknown>((value) => !hasReservedKey(value), { message: 'reserved filter key' })
  .pipe(
    z
      .record(
        z
          .string()
          .min(1)
          .max(128)
          .refine((key) => !FORBIDDEN_KEYS.has(key), 'reserved key'),
        z.union([scalarSchema, z.array(scalarSchema).min(1).max(Limits.maxFilterArrayLength)]),
      )
      .refine((filters) => Object.keys(filters).length <= Limits.maxFilterKeys, {
        message: `at most ${Limits.maxFilterKeys} filter keys`,
      })
      .refine((filters) => filtersByteLength(filters) <= Limits.maxFiltersBytes, {
        message: `filters larger than ${Limits.maxFiltersBytes} bytes of JSON`,
      }),
  );

function hasReservedKey(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).some((key) => FORBIDDEN_KEYS.has(key));
}
