// Collectors on real devices: LibreNMS's recordings (../shared/librenms-testdata/recordings,
// read where they are) against the rows LibreNMS stores for the same devices (expected/). The
// expected values come from LibreNMS's data, never from our own output. Ports have their own
// file (ports-recordings.test.ts); the HOST-RESOURCES / ENTITY-SENSOR collectors theirs
// (golden-recordings-hr.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemCollector } from '../../agent/collectors/index.js';
import { collectFromRecording, expectedRows, recordingNames } from '../helpers/snmprec.js';

test("system: sysDescr and sysObjectID of all 55 recordings equal LibreNMS's", () => {
  const names = recordingNames();
  assert.equal(names.length, 55);
  for (const name of names) {
    const want = expectedRows(name, 'os', 'devices')![0];
    const got = systemCollector.process(collectFromRecording(name, systemCollector));
    assert.equal(got.sysDescr, want.sysDescr, `${name} sysDescr`);
    assert.equal(`.${got.sysObjectID}`, want.sysObjectID, `${name} sysObjectID`);
  }
});
