/** Page/sort/search state of a table and its translation into the API's query parameters. */

export type SortOrder = 'ASC' | 'DESC';

export interface PageLink {
  page: number;
  pageSize: number;
  textSearch: string;
  sortProperty: string;
  sortOrder: SortOrder;
}

export const DEFAULT_PAGE_LINK: PageLink = {
  page: 0,
  pageSize: 10,
  textSearch: '',
  sortProperty: 'createdTime',
  sortOrder: 'DESC',
};

/** Query parameters of a list endpoint; an empty search is left out. */
export function pageParams(link: PageLink): Record<string, string> {
  const params: Record<string, string> = {
    pageSize: String(link.pageSize),
    page: String(link.page),
    sortProperty: link.sortProperty,
    sortOrder: link.sortOrder,
  };
  const search = link.textSearch.trim();
  if (search) params.textSearch = search;
  return params;
}

/** Clicking a column: a new column sorts ascending, the same one flips; back to page 0. */
export function toggleSort(link: PageLink, property: string): PageLink {
  const sortOrder: SortOrder =
    link.sortProperty === property && link.sortOrder === 'ASC' ? 'DESC' : 'ASC';
  return { ...link, sortProperty: property, sortOrder, page: 0 };
}

/** A new search starts at the first page. */
export function withSearch(link: PageLink, textSearch: string): PageLink {
  return { ...link, textSearch, page: 0 };
}

/** "11–20 of 25" for the footer of a table. */
export function rangeLabel(link: PageLink, totalElements: number): string {
  if (totalElements === 0) return '0 of 0';
  const first = link.page * link.pageSize + 1;
  const last = Math.min(totalElements, first + link.pageSize - 1);
  return `${first}–${last} of ${totalElements}`;
}
