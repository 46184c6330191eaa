import { z } from 'zod'

export const IdParams = z.object({ id: z.string().uuid('must be a UUID') })
export const ListQuery = z
  .object({
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict()

/** Response envelope of list routes (CONTRACT: `{items, next}`). */
export function listOf<T extends z.ZodTypeAny>(item: T) {
  return z.object({ items: z.array(item), next: z.string().nullable() })
}

export const ErrorBody = z.object({ error: z.string(), message: z.string(), field: z.string().optional() })
