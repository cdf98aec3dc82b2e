import path from 'node:path';
import { createTestDatabase, openApiConformance } from '@platform/testing';
import { codes } from '../src/errors.ts';
import { openApiDocument } from '../src/openapi.ts';

const database = await createTestDatabase();
const document = await openApiDocument(database.url).finally(() => database.drop());

openApiConformance({ document, codes, source: path.resolve(import.meta.dirname, '../src') });
