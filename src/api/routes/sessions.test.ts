import { describe, expect, it } from 'vitest'
import { sessionCookieOptions } from './sessions.js'

describe('the session cookie', () => {
  it('is HttpOnly and SameSite=Strict always, and Secure when the hub is reached over TLS', () => {
    expect(sessionCookieOptions('http', 'http://127.0.0.1:8080')).toEqual({ path: '/', httpOnly: true, sameSite: 'strict', secure: false })
    expect(sessionCookieOptions('https', 'http://127.0.0.1:8080').secure).toBe(true)
    // Behind a proxy that terminates TLS the hub sees plain HTTP; its public URL says https.
    expect(sessionCookieOptions('http', 'https://hub.example.org').secure).toBe(true)
  })
})
