// Whose problem each of Microsoft's documented Entra refusals is, read from the same fixtures the
// emulator answers with (dev/cloud/documentedErrors.ts, each line with its documentation source).
import { describe, expect, it } from 'vitest';
import { DOCUMENTED_ENTRA_ERRORS, type ErrorOwner } from '../../../../dev/cloud/documentedErrors.js';
import { whoseEntraRefusal, type EntraFailureOwner } from '#src/shared/domain/entraFailure.js';

/** From a customer tenant, a client refusal is only a suspicion until the home tenant confirms it. */
const FROM_CUSTOMER_TENANT: Record<ErrorOwner, EntraFailureOwner> = {
  mailbox: 'mailbox',
  tenant: 'tenant',
  keyrelay: 'client_unconfirmed',
  transient: 'transient',
};

/** In keyrelay's home tenant the app itself is refused: a missing or disabled app there is keyrelay's own problem. */
const FROM_HOME_TENANT: Record<ErrorOwner, EntraFailureOwner> = {
  mailbox: 'mailbox',
  tenant: 'keyrelay',
  keyrelay: 'keyrelay',
  transient: 'transient',
};

describe('whoseEntraRefusal over the documented error bodies', () => {
  it('every fixture names its documentation source', () => {
    for (const documented of DOCUMENTED_ENTRA_ERRORS)
      expect(documented.source, `AADSTS${documented.aadsts}`).toMatch(/^https:\/\/learn\.microsoft\.com\//);
  });

  for (const documented of DOCUMENTED_ENTRA_ERRORS) {
    const refusal = {
      error: documented.error,
      aadsts: documented.aadsts,
      status: documented.status,
      ...(documented.suberror === undefined ? {} : { suberror: documented.suberror }),
    };
    it(`AADSTS${documented.aadsts} (${documented.error}) is the ${documented.owner}'s problem`, () => {
      expect(whoseEntraRefusal({ ...refusal, homeTenant: false })).toBe(FROM_CUSTOMER_TENANT[documented.owner]);
      expect(whoseEntraRefusal({ ...refusal, homeTenant: true })).toBe(FROM_HOME_TENANT[documented.owner]);
    });
  }

  it('an unknown refusal is nobody in particular: no reconnect, no alarm', () => {
    expect(whoseEntraRefusal({ error: 'invalid_request', aadsts: 90014, status: 400, homeTenant: false })).toBe(
      'other',
    );
  });
});
