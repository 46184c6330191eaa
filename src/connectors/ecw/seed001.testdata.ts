import type { Bundle, Patient as FhirPatient } from '@medplum/fhirtypes'
import type { Patient } from '../../crm/patients.js'

/**
 * Test data: the CRM–eClinicalWorks integration guide's transaction Bundle, verbatim (the Dazos CRM ↔ eClinicalWorks integration
 * guide, "A. CRM → ECW (POST – Create Patient)"), and a CRM patient that says the same things.
 */
export const SEED_001_BUNDLE: Bundle = {
  "resourceType": "Bundle",
  "type": "transaction",
  "entry": [
    {
      "resource": {
        "resourceType": "Patient",
        "meta": {
          "profile": [
            "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"
          ]
        },
        "active": true,
        "name": [
          {
            "text": "DazEcccw",
            "family": "LaliTest",
            "given": [
              "DazEcccw"
            ]
          }
        ],
        "maritalStatus": {
          "coding": [
            {
              "system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
              "code": "M",
              "display": "Married"
            }
          ],
          "text": "Married"
        },
        "telecom": [
          {
            "system": "phone",
            "value": "9135552003",
            "use": "home"
          },
          {
            "system": "email",
            "value": "[email protected]",
            "use": "home"
          }
        ],
        "address": [
          {
            "use": "home",
            "line": [
              "2222 HOME STREET",
              "Gordon Street"
            ],
            "city": "LAWRENCE",
            "state": "open",
            "postalCode": "KS"
          }
        ],
        "deceasedBoolean": false,
        "identifier": [
          {
            "use": "usual",
            "system": "urn:oid:2.16.840.1.113883.4.391.326070",
            "value": "Lt2IFR5Ah76n4d8TFP5g"
          }
        ],
        "communication": [
          {
            "language": {
              "coding": [
                {
                  "system": "urn:ietf:bcp:47",
                  "code": "ENG",
                  "display": "English"
                }
              ],
              "text": "English"
            },
            "preferred": true
          }
        ],
        "gender": "male",
        "birthDate": "2001-05-27",
        "extension": [
          {
            "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity",
            "extension": [
              {
                "url": "detailed",
                "valueCoding": {
                  "system": "urn:oid:2.16.840.1.113883.6.238",
                  "code": "2184-0",
                  "display": "Dominican"
                }
              },
              {
                "url": "ombCategory",
                "valueCoding": {
                  "system": "urn:oid:2.16.840.1.113883.6.238",
                  "code": "2135-2",
                  "display": "Hispanic or Latino"
                }
              },
              {
                "url": "text",
                "valueString": "Hispanic or Latino"
              }
            ]
          },
          {
            "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
            "extension": [
              {
                "url": "ombCategory",
                "valueCoding": {
                  "system": "http://terminology.hl7.org/CodeSystem/v3-NullFlavor",
                  "code": "ASKU",
                  "display": "Declined to Specify"
                }
              },
              {
                "url": "text",
                "valueString": "Declined to Specify"
              }
            ]
          },
          {
            "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
            "valueCode": "M"
          },
          {
            "url": "http://eclinicalworks.com/supportingInfo/defaultFacility",
            "valueReference": {
              "reference": "Location/Lt2IFR5Ah76n4d8TFP5gBCYrEVzcfmSY9rj1Q7MpBZg"
            }
          }
        ]
      },
      "request": {
        "method": "POST",
        "url": "Patient"
      }
    }
  ]
}

export const SEED_001_PATIENT = SEED_001_BUNDLE.entry![0]!.resource as FhirPatient

/** ECW's Location id in the CRM–eClinicalWorks integration guide's defaultFacility extension. */
export const SEED_001_LOCATION = 'Lt2IFR5Ah76n4d8TFP5gBCYrEVzcfmSY9rj1Q7MpBZg'

/**
 * The CRM patient equivalent to the CRM–eClinicalWorks integration guide's. Differences the CRM cannot avoid:
 * - `id` is a CRM UUID: the seed's identifier value ("Lt2IFR5Ah76n4d8TFP5g") is Dazos' own id.
 * - the email: the seed page shows "[email protected]", a web page's e-mail obfuscation, not an
 *   address; any real address takes its place.
 * - the ethnicity "detailed" code (Dominican) comes from a custom field mapped to
 *   `ethnicityDetailed`; the CRM's standard fields hold only the OMB category.
 * Address values are the seed's as written (state "open", postal code "KS").
 */
export const SEED_001_CRM_PATIENT: Patient = {
  id: '5b0c3f4e-8d7a-4c1e-9a52-2f6d8e1b7a90',
  firstName: 'DazEcccw',
  middleName: null,
  lastName: 'LaliTest',
  preferredName: null,
  dob: '2001-05-27',
  gender: 'male',
  maritalStatus: 'married',
  phone: '(913) 555-2003',
  alternatePhone: null,
  email: 'daz.ecw@example.com',
  address: { line1: '2222 HOME STREET', line2: 'Gordon Street', city: 'LAWRENCE', state: 'open', postalCode: 'KS', country: null },
  language: 'English',
  race: 'declined',
  ethnicity: 'hispanic_or_latino',
  birthSex: 'male',
  admissionDate: null,
  dischargeDate: null,
  programId: null,
  locationId: 'crm-loc-lawrence',
  levelOfCare: null,
  referrerName: null,
  firstContactName: null,
  paymentMethod: null,
  accountId: null,
  customFields: { ethnicityDetail: 'Dominican' },
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
}
