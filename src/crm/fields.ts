import { z } from 'zod'

/** Shared field shapes for CRM records: one definition of "a date", "a phone"… with messages that say what to fix. */
export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((v) => {
    const d = new Date(`${v}T00:00:00Z`)
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v
  }, 'must be a real calendar date')

export const Phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9 ().-]{7,20}$/, 'must be a phone number of 7 to 20 digits, optionally starting with +')

export const Email = z.string().trim().email('must be an email address')

export const UsState = z.string().trim().min(2).max(40)

export const Address = z
  .object({
    line1: z.string().trim().min(1).max(200).nullish(),
    line2: z.string().trim().max(200).nullish(),
    city: z.string().trim().max(100).nullish(),
    state: UsState.nullish(),
    postalCode: z.string().trim().max(20).nullish(),
    country: z.string().trim().max(60).nullish(),
  })
  .strict()

export const CustomFields = z.record(
  z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, 'custom field names are letters, digits and _, starting with a letter'),
  z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]),
)

export const Text = (max = 200) => z.string().trim().max(max)
