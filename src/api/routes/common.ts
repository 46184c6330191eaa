import { z } from 'zod'

export const IdParams = z.object({ id: z.string().uuid('must be a UUID') })
export const ListQuery = z
  .object({
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict()
