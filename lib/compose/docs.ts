import { renderDocsPage } from '../docs/page';
import { once } from './root';

/** GET /docs/api.md: the contract as HTML, the same bytes for the container's life. */
export const docsPage = once(() => renderDocsPage());
