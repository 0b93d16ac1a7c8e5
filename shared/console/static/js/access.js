// What the person signed in may see and manage, read from state.me.
import { state } from './state.js';

export const isOperator = () => !!(state.me && state.me.operator);
export const isOperatorAdmin = () => !!(state.me && state.me.operator && state.me.operator.role === 'admin');
export const adminMemberships = () => (state.me ? state.me.memberships.filter((m) => m.admin) : []);
export const canManage = (cid) => isOperator() || adminMemberships().some((m) => m.customerId === cid);
// Webhooks are operator admins' and the customer's portal admins' (not technicians').
export const canWebhooks = (cid) => isOperatorAdmin() || adminMemberships().some((m) => m.customerId === cid);
