/**
 * The launcher's summary of failed parties (src/cli/launch.ts): the party
 * whose failure the others follow from comes first, whatever order the
 * processes ended in. The lines are what `entente run` parties print.
 */
import { describe, expect, it } from 'vitest';
import { describeFailures, firstFailure, type PartyFailure } from '../src/cli/launch.js';

const exit1 = (id: string, line: string): PartyFailure => ({
  id,
  status: 'exit 1',
  code: 1,
  line,
});

describe('the failure the others follow from', () => {
  it('a program error: named first though its peers ended before it', () => {
    const failed = [
      exit1(
        'p3',
        'entente: party p3: ProtocolAbort: protocol aborted: peer-closed (peer p2): party p2 aborted: its program failed (the error is reported at party p2)',
      ),
      exit1(
        'p1',
        'entente: party p1: ProtocolAbort: protocol aborted: peer-closed (peer p3): party p3 aborted: protocol aborted: peer-closed (peer p2): party p2 aborted: its program failed',
      ),
      exit1('p2', 'entente: Error: p2 gives up'),
    ];
    const r = firstFailure(failed)!;
    expect(r.first.id).toBe('p2');
    expect(r.following.map((f) => f.id)).toEqual(['p3', 'p1']);
    expect(r.others).toEqual([]);
    expect(describeFailures(failed)).toBe(
      'p2 (exit 1): Error: p2 gives up; because of it: p3 (exit 1), p1 (exit 1)',
    );
  });

  it('the party that detected a violation comes first, not the offender that ended because of its abort', () => {
    for (const order of [
      ['p1', 'p3'],
      ['p3', 'p1'],
    ]) {
      const lines: Record<string, string> = {
        p3: 'entente: party p3: ProtocolAbort: protocol aborted: malformed (peer p1): sent 32 bytes, expected 40',
        p1: 'entente: party p1: ProtocolAbort: protocol aborted: peer-closed (peer p3): party p3 aborted: protocol aborted: malformed (peer p1): sent 32 bytes, expected 40',
      };
      const r = firstFailure(order.map((id) => exit1(id, lines[id]!)))!;
      expect(r.first.id).toBe('p3');
      expect(r.following.map((f) => f.id)).toEqual(['p1']);
    }
  });

  it('a party killed by a signal, which wrote nothing, is the cause of its peers losing it', () => {
    const failed = [
      exit1(
        'p1',
        'entente: party p1: ProtocolAbort: protocol aborted: peer-closed (peer p2): connection to party p2 lost',
      ),
      { id: 'p2', status: 'signal SIGKILL', code: null, line: '' },
    ];
    expect(describeFailures(failed)).toBe('p2 (signal SIGKILL); because of it: p1 (exit 1)');
  });

  it('two parties of different sessions blame each other: the one blamed by the most', () => {
    const failed = [
      exit1(
        'p1',
        'entente: party p1: ConnectError: wrong-session (party p3): hello frame of another session (session id, suite or federation file differ)',
      ),
      exit1(
        'p3',
        'entente: party p3: ConnectError: wrong-session (party p1): hello frame of another session (session id, suite or federation file differ)',
      ),
      exit1(
        'p2',
        'entente: party p2: ConnectError: wrong-session (party p3): close frame of another session (session id, suite or federation file differ)',
      ),
    ];
    const r = firstFailure(failed)!;
    expect(r.first.id).toBe('p3');
    expect(r.following.map((f) => f.id).sort()).toEqual(['p1', 'p2']);
  });

  it('independent failures: the first to end, the rest as also failed', () => {
    const failed = [
      exit1('p2', 'entente: Error: p2 gives up'),
      exit1('p1', 'entente: Error: p1 gives up too'),
    ];
    expect(describeFailures(failed)).toBe(
      'p2 (exit 1): Error: p2 gives up; also failed: p1 (exit 1)',
    );
    expect(firstFailure([])).toBeUndefined();
  });
});
