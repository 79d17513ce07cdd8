// The admin setup the cluster-view tests share (single node and several): an admin key, and a
// namespace `demo` with a MANAGE user `boss` (a manager's view) beside a namespace `other`.

export const KEY = 'admin-key';
export const ADMIN = { authorization: `Bearer ${KEY}` };
export const BOSS = { authorization: `Basic ${Buffer.from('demo/boss:boss-secret').toString('base64')}` };

export const CONFIG = {
  admin: { key: KEY },
  namespaces: {
    demo: {
      secret: 'site-secret',
      rocket: { path: '/demo', users: { boss: { secret: 'boss-secret', permissions: ['MANAGE'] } } },
    },
    other: { secret: 'other-secret' },
  },
};
