// Why an SNMP exchange with a device failed. All are PollError: a device's own failure, which
// the poller records as status_reason 'snmp' rather than letting it escape.
import { PollError } from '../../lib/errors.js';

export type SnmpFailure = 'timeout' | 'auth' | 'walk' | 'aborted' | 'protocol';

export class SnmpError extends PollError {
  readonly failure: SnmpFailure;
  constructor(failure: SnmpFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.failure = failure;
  }
}
