/**
 * Realistic referral data, as an Ontario referrer fills Caredove's intake form: registrant,
 * requester, form answers with their questions, attachments (a referral letter PDF, a scanned
 * image) and messages. Deterministic per seed, so tests and demos see the same people.
 */
import { gradientPng, textPdf } from './files.js'
import type { Attachment, FormField, Message, Registrant, Requester } from './payload.js'

const FIRST_NAMES = ['Amelia', 'Liam', 'Olivia', 'Noah', 'Chloé', 'Ethan', 'Aisha', 'Mateo', 'Priya', 'Lucas', 'Zoé', 'Owen', 'Mei', 'Jacob', 'Fatima', 'Nathan']
const MIDDLE_NAMES = ['Rose', 'James', 'Marie', 'Alexander', 'Grace', '', 'Louise', 'Thomas', '']
const LAST_NAMES = ['Tremblay', 'Gagnon', 'MacDonald', 'Singh', 'Nguyen', 'Roy', 'Wilson', 'Côté', 'Patel', 'Campbell', 'Chen', 'Bouchard', 'Okafor', 'Morrison']
const GENDERS = ['Female', 'Male', 'Non-binary', 'Female', 'Male', 'Prefer not to say']
const LANGUAGES = ['English', 'English', 'French', 'English', 'Punjabi', 'Arabic', 'Mandarin', 'Spanish']
const PLACES = [
  { city: 'Hamilton', province: 'ON', postal: 'L8P', area: '905' },
  { city: 'Toronto', province: 'ON', postal: 'M5V', area: '416' },
  { city: 'Ottawa', province: 'ON', postal: 'K1N', area: '613' },
  { city: 'Kingston', province: 'ON', postal: 'K7L', area: '613' },
  { city: 'London', province: 'ON', postal: 'N6A', area: '519' },
  { city: 'Sudbury', province: 'ON', postal: 'P3E', area: '705' },
]
const STREETS = ['King St W', 'Queen St E', 'Main St', 'Bay St', 'Wellington St', 'Princess St', 'Dundas St', 'Elm Ave']
const ORGANIZATIONS = ['Hamilton Family Health Team', 'St. Joseph’s Healthcare – Emergency Department', 'Toronto Community Health Centre', 'Kingston General Hospital – Crisis Team', 'Ottawa Public Health', 'London Intercommunity Health Centre']
const REQUESTER_FIRST = ['Dr. Priya', 'Dr. Marc', 'Sarah', 'Dr. Helen', 'Kevin', 'Nadia']
const REQUESTER_LAST = ['Shah', 'Lefebvre', 'O’Brien', 'Kowalski', 'Ahmed', 'Fraser']
const REASONS = [
  'Low mood and anxiety for six months; struggling to keep up at work.',
  'Alcohol use has increased since a job loss; client is asking for help to cut down.',
  'Opioid use disorder, currently on methadone; requesting counselling support.',
  'Recent ED visit for panic attacks; no current safety concerns.',
  'Youth with school refusal and self-reported depression; parents supportive.',
  'Cannabis use daily; wants to reduce before starting college.',
]
const MEDICATIONS = ['Sertraline 50 mg daily', 'None', 'Methadone 60 mg daily', 'Lorazepam 0.5 mg as needed', 'Escitalopram 10 mg daily', 'None reported']
const AVAILABILITY = ['Weekday mornings', 'After 3 pm on weekdays', 'Any time; prefers phone first', 'Tuesdays and Thursdays', 'Evenings only']
const RISK = ['No current suicidal ideation; safety plan discussed', 'Passive ideation last month, none now; crisis line provided', 'Denies thoughts of self-harm']

/** A small seeded generator (mulberry32), so a seed always gives the same referral. */
export function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface GeneratedReferral {
  registrant: Registrant
  requester: Requester
  form_fields: FormField[]
  attachments: Attachment[]
  messages: Message[]
}

/** One referral's data; `now` dates the messages and bounds the date of birth. */
export function generateReferral(seed: number, now: Date, options: { attachments?: boolean; messages?: boolean } = {}): GeneratedReferral {
  const next = random(seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(next() * 10)).join('')
  const place = pick(PLACES)
  const first = pick(FIRST_NAMES)
  const last = pick(LAST_NAMES)
  const middle = pick(MIDDLE_NAMES)
  const year = now.getUTCFullYear() - 16 - Math.floor(next() * 50)
  const dob = `${year}-${String(1 + Math.floor(next() * 12)).padStart(2, '0')}-${String(1 + Math.floor(next() * 28)).padStart(2, '0')}`
  const letter = () => 'ABCEGHJKLMNPRSTVXY'[Math.floor(next() * 18)]!
  const requester: Requester = { first_name: pick(REQUESTER_FIRST), last_name: pick(REQUESTER_LAST), organization: pick(ORGANIZATIONS), phone: `${place.area}-555-${digits(4)}` }
  const reason = pick(REASONS)

  const registrant: Registrant = {
    first_name: first,
    middle_name: middle || null,
    last_name: last,
    dob,
    gender: pick(GENDERS),
    address: {
      street: `${1 + Math.floor(next() * 400)} ${pick(STREETS)}`,
      city: place.city,
      province: place.province,
      country: 'Canada',
      postal_code: `${place.postal} ${digits(1)}${letter()}${digits(1)}`,
    },
    preferred_language: pick(LANGUAGES),
    phone_home: `${place.area}-555-${digits(4)}`,
    phone_alt: next() < 0.5 ? `${place.area}-555-${digits(4)}` : null,
    email: `${ascii(first).toLowerCase()}.${ascii(last).toLowerCase()}${digits(2)}@example.ca`,
  }

  const form_fields: FormField[] = [
    { question: 'Reason for referral', answer: reason },
    { question: 'Current medications', answer: pick(MEDICATIONS) },
    { question: 'Risk assessment', answer: pick(RISK) },
    { question: 'Ontario Health Card number', answer: `${digits(4)}-${digits(3)}-${digits(3)}-${letter()}${letter()}` },
    { question: 'Client consents to share information with the receiving program', answer: 'Yes' },
    { question: 'Best time to contact the client', answer: pick(AVAILABILITY) },
    { question: 'Accessibility or interpretation needs', answer: next() < 0.3 ? 'Interpreter needed' : 'None' },
  ]

  const attachments: Attachment[] =
    options.attachments === false
      ? []
      : [
          {
            filename: 'referral-letter.pdf',
            content_type: 'application/pdf',
            data_base64: textPdf('Referral letter', [
              `Re: ${first} ${last}, born ${dob}`,
              `Referred by ${requester.first_name} ${requester.last_name}, ${requester.organization}`,
              `Reason: ${reason}`,
            ]).toString('base64'),
          },
          { filename: 'consent-form-scan.png', content_type: 'image/png', data_base64: gradientPng(16, seed).toString('base64') },
        ]

  const messages: Message[] =
    options.messages === false
      ? []
      : [{ from: 'requester', author: `${requester.first_name} ${requester.last_name}`, sent_at: new Date(now.getTime() - 3_600_000).toISOString(), text: 'Client prefers a female counsellor if possible. Please call the client directly.' }]

  return { registrant, requester, form_fields, attachments, messages }
}

function ascii(text: string): string {
  return text.normalize('NFD').replace(/[^A-Za-z]/g, '')
}
