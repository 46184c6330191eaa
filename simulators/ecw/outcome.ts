/** OperationOutcome helpers: the one error currency of the FHIR routes. */
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes'

export type IssueType = OperationOutcomeIssue['code']

/** An error answered as `status` with an OperationOutcome body. */
export class FhirHttpError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
  ) {
    super(outcome.issue?.[0]?.diagnostics ?? `HTTP ${status}`)
  }
}

export function operationOutcome(code: IssueType, diagnostics: string, extra: Partial<OperationOutcomeIssue> = {}): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code, diagnostics, details: { text: diagnostics }, ...extra }],
  }
}

export function fhirError(status: number, code: IssueType, diagnostics: string, extra: Partial<OperationOutcomeIssue> = {}): FhirHttpError {
  return new FhirHttpError(status, operationOutcome(code, diagnostics, extra))
}
