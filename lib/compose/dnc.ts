import { DoNotCallList } from '../calls/do-not-call';
import { DoNotCallRepository } from '../store/do-not-call';
import { perRoot } from './root';

export { dncLookupQuerySchema } from '../model/do-not-call';
import { table } from './readers';

/** PUT, DELETE and GET of the tenant's do-not-call list. */
export const doNotCallUseCase = perRoot((r) => new DoNotCallList(new DoNotCallRepository(table(r), r.clock)));
