import type { FastifySerializerCompiler } from 'fastify'
import { ResponseSerializationError } from 'fastify-type-provider-zod'
import { z } from 'zod'

/**
 * Checks each answer against its route's response schema, then sends the answer as it is. The
 * zod provider's own serializer sends the parsed value instead, which would silently cut any
 * field a schema does not list; here a schema documents and checks, and never edits.
 */
export const checkedSerializer: FastifySerializerCompiler<unknown> =
  ({ schema, method, url }) =>
  (data) => {
    if (schema instanceof z.ZodType) {
      const result = schema.safeParse(data)
      if (!result.success) throw new ResponseSerializationError(method, url, { cause: result.error })
    }
    return JSON.stringify(data)
  }
