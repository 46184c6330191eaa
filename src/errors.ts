/** Errors the API turns into 4xx answers. The message says what to fix; `field` names the input at fault. */
export class InputError extends Error {
  readonly code = 'invalid_input'
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`)
    this.name = 'InputError'
  }
}

export class NotFoundError extends Error {
  readonly code = 'not_found'
  constructor(what: string) {
    super(`${what} not found`)
    this.name = 'NotFoundError'
  }
}

export class UnsupportedError extends Error {
  readonly code = 'unsupported'
  constructor(message: string) {
    super(message)
    this.name = 'UnsupportedError'
  }
}

export class ConflictError extends Error {
  readonly code = 'conflict'
  constructor(message: string) {
    super(message)
    this.name = 'ConflictError'
  }
}
