import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { nameProblem } from '../src/new-service.ts';

const root = path.resolve(import.meta.dirname, '../../..');

test('a reserved service name is refused saying why, and to choose another name', () => {
  for (const [name, why] of [
    ['docs', /\/docs is a path the gateway never routes to a service/],
    ['health', /\/health is a path the gateway never routes to a service/],
    ['internal', /\/internal is a path the gateway never routes to a service/],
    ['accounts', /\/accounts is the auth service's public prefix/],
    ['gateway', /the entry point's name/],
    ['api', /would read as a path of the platform itself/],
    ['packages', /would read as a path of the platform itself/],
    // Its database would be PostgreSQL's template, which every database created later copies.
    ['template1', /its database would be "template1", one of PostgreSQL's own template databases/],
    ['template0', /its database would be "template0", one of PostgreSQL's own template databases/],
  ] as const) {
    const problem = nameProblem(root, name);
    assert.match(problem ?? '', new RegExp(`^service name "${name}" is reserved \\(`), name);
    assert.match(problem ?? '', why, name);
    assert.match(problem ?? '', /\): choose another name$/, name);
  }
});
