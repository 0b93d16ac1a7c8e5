// The texts of the import screen (a CSV file of people), one dictionary
// per language, added to i18n.js's.
import { addTexts } from './i18n.js';

const en = {
  'nav.import': 'Import',
  'import.heading': 'Import people into {customer}',
  'import.intro': 'A CSV file of up to 10,000 rows: a header row, then one person a row. Columns: email (required), name, admin (yes/no), roles and portalIds (separated by ;), sendInvitation (no: add now, invite later).',
  'import.file': 'CSV file',
  'import.check': 'Check the file',
  'import.checking': 'Checking…',
  'import.summary': '{total} rows: {invite} to invite, {already} already members, {invalid} invalid.',
  'import.shown': 'The first {n} rows are shown.',
  'import.col.row': 'Row',
  'import.col.email': 'E-mail',
  'import.col.outcome': 'Would',
  'import.col.result': 'Outcome',
  'import.col.reason': 'Reason',
  'import.outcome.invite': 'invite',
  'import.outcome.already_member': 'already a member',
  'import.outcome.invalid': 'invalid',
  'import.outcome.invited': 'invited',
  'import.run': 'Import {n} people',
  'import.nothing': 'Nothing to import: no row would invite anyone.',
  'import.running': 'Importing: {done} of {total} rows done.',
  'import.done': 'Done: {invited} invited, {already} already members, {invalid} invalid.',
  'import.progress': 'Import progress',
  'import.download': 'Download the outcomes (CSV)',
  'import.chooseFile': 'Choose a CSV file first.',
  // A member's access that ends by itself (the edit dialog).
  'access.until': 'Access ends',
  'access.untilHint': 'Empty: it never ends. At that moment they are disabled by themselves; their admins are told a few days before.',
};

const nl = {
  'nav.import': 'Importeren',
  'import.heading': 'Mensen importeren in {customer}',
  'import.intro': 'Een CSV-bestand van hoogstens 10.000 regels: een kopregel, dan één persoon per regel. Kolommen: email (verplicht), name, admin (yes/no), roles en portalIds (gescheiden door ;), sendInvitation (no: nu toevoegen, later uitnodigen).',
  'import.file': 'CSV-bestand',
  'import.check': 'Bestand controleren',
  'import.checking': 'Bezig met controleren…',
  'import.summary': '{total} regels: {invite} uit te nodigen, {already} al lid, {invalid} ongeldig.',
  'import.shown': 'De eerste {n} regels staan hieronder.',
  'import.col.row': 'Regel',
  'import.col.email': 'E-mailadres',
  'import.col.outcome': 'Zou',
  'import.col.result': 'Uitkomst',
  'import.col.reason': 'Reden',
  'import.outcome.invite': 'uitnodigen',
  'import.outcome.already_member': 'al lid',
  'import.outcome.invalid': 'ongeldig',
  'import.outcome.invited': 'uitgenodigd',
  'import.run': '{n} mensen importeren',
  'import.nothing': 'Niets te importeren: geen regel zou iemand uitnodigen.',
  'import.running': 'Bezig met importeren: {done} van {total} regels klaar.',
  'import.done': 'Klaar: {invited} uitgenodigd, {already} al lid, {invalid} ongeldig.',
  'import.progress': 'Voortgang van de import',
  'import.download': 'Uitkomsten downloaden (CSV)',
  'import.chooseFile': 'Kies eerst een CSV-bestand.',
  'access.until': 'Toegang eindigt',
  'access.untilHint': 'Leeg: die eindigt nooit. Op dat moment wordt de toegang vanzelf uitgeschakeld; de beheerders horen het een paar dagen eerder.',
};

addTexts({ en, nl });
