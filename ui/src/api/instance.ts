/** The client the running app uses (tests build their own). */

import { ApiClient } from './client';
import { browserTokens } from './tokens';

export const api = new ApiClient(browserTokens);
