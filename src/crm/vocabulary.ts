import { z } from 'zod'

/**
 * The CRM's own picklists. Connectors never see these words directly: value maps per connection
 * translate them into each EMR's codes (see src/mapping).
 */
export const Gender = z.enum(['male', 'female', 'other', 'unknown'])
export const MaritalStatus = z.enum(['married', 'single', 'divorced', 'widowed', 'separated', 'domestic_partner', 'unknown'])
export const BirthSex = z.enum(['female', 'male', 'unknown'])
export const Race = z.enum([
  'american_indian_or_alaska_native',
  'asian',
  'black_or_african_american',
  'native_hawaiian_or_other_pacific_islander',
  'white',
  'other',
  'declined',
])
export const Ethnicity = z.enum(['hispanic_or_latino', 'not_hispanic_or_latino', 'declined'])
export const InsurancePriority = z.enum(['primary', 'secondary', 'tertiary'])
export const SubscriberRelationship = z.enum(['self', 'spouse', 'parent', 'child', 'common_law_spouse', 'injured_party', 'other'])
export const PaymentMethod = z.enum(['insurance', 'self_pay', 'scholarship', 'other'])
