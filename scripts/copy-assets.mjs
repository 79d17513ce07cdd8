#!/usr/bin/env node
// Copies the files tsc does not emit into dist, next to the compiled code that reads them:
// the Redis engine's Lua scripts (src/engines/redis/lua/*.lua → dist/src/engines/redis/lua/).
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const from = 'src/engines/redis/lua';
const to = 'dist/src/engines/redis/lua';
mkdirSync(to, { recursive: true });
for (const name of readdirSync(from)) if (name.endsWith('.lua')) cpSync(join(from, name), join(to, name));
