// The console's one mutable state. Whatever outlives a single screen or
// dialog lives here, in a named and documented field; no other module of
// the console keeps state at module level (a screen keeps what is its own
// in the closures of its render function, and loses it when it is left).
// The shell (console.js) sets most of it and clears it at sign-out.
export const state = {
  // cfg is config.json (config.js's loadConfig): mode ('local' or 'aws'),
  // apiUrl, the user pool and the Cognito endpoints. Set once at boot.
  cfg: null,

  // me is GET /v1/me's data: the person signed in (email, name, operator
  // {role} or null, memberships [{customerId, customerName, admin, roles,
  // portals}]). null while no one is signed in; access.js reads it.
  me: null,

  // ended is true from the end of a session (sign-out, or the first 401)
  // until the next start, so that the session ends only once.
  ended: false,

  // renderSeq counts the screens asked for. A screen that finishes loading
  // after another one was asked for (or after sign-out) is not drawn.
  renderSeq: 0,

  // currentScreen is the name of the screen drawn ('home', 'customers',
  // 'users', 'portals', 'audit', 'operators', 'profile', 'job',
  // 'provider-audit', 'import', 'roles', 'webhooks'): its nav link has aria-current="page".
  currentScreen: 'home',

  // currentCustomer is the id of the customer the person works on: the
  // last one a #/c/<id>/… fragment named, at first the first customer they
  // are an admin of. The nav links and the switcher follow it. null: none.
  currentCustomer: null,

  // customers is what is known of customers:
  //   items   the operator's customers loaded so far for the switcher
  //           (pages of GET /v1/customers), in the order loaded
  //   next    the cursor of the next page of them, or null when none
  //   loaded  whether the first page has been loaded
  //   failed  whether loading the first page failed (the switcher says so
  //           and offers to try again)
  //   names   every customer's name seen, by id (memberships, lists,
  //           GET /v1/customers/<id>), for headings and the switcher
  customers: { items: [], next: null, loaded: false, failed: false, names: new Map() },

  // nextNotice is a message shown after the next screen is drawn (a dialog
  // that navigates, e.g. to the customer it created). null: none.
  nextNotice: null,

  // navKey and switcherKey say what the header's nav links and customer
  // switcher were last drawn from: the header draws them again only when
  // that changes (not on every screen), so that a click on the header never
  // lands on an element being replaced. '' forces the next drawing.
  navKey: '',
  switcherKey: '',
};
