// The registered dialects, one line each: the config schema, the reserved paths, `gen-config` and
// the server all read this list. Order is the order of their config keys and of their routes.
import { chatModule } from './chat/index.js';
import { meshModule } from './mesh/index.js';
import { pusherModule } from './pusher/index.js';
import { rocketModule } from './rocket/index.js';
import { siteModule } from './site/index.js';

export const DIALECT_MODULES = [siteModule, meshModule, rocketModule, chatModule, pusherModule] as const;
