package dashboard

import (
	"net/url"
	"strconv"

	"github.com/chorusbill/chorusbill/store"
)

// Every list of the dashboard is read a page at a time (?page=N&par=M),
// says how many rows its filter selects in all, and links to the other
// pages with the same filter: nothing is cut without saying so, and no page
// grows to megabytes.

// pageSizes are the page sizes offered; the first is the default.
var pageSizes = []int{50, 100, 200, 500}

// pageRequest is the page a URL asks for.
type pageRequest struct {
	Page, Size int
}

// pageFrom reads ?page and ?par, defaulting to the first page of the
// default size; a size not offered is the default.
func pageFrom(q url.Values) pageRequest {
	p := pageRequest{Page: 1, Size: pageSizes[0]}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 {
		p.Page = n
	}
	if n, err := strconv.Atoi(q.Get("par")); err == nil {
		for _, s := range pageSizes {
			if n == s {
				p.Size = n
			}
		}
	}
	return p
}

// apply sets the filter's Limit and Offset to the page.
func (p pageRequest) apply(f *store.WorkFilter) {
	f.Limit, f.Offset = p.Size, (p.Page-1)*p.Size
}

// pageView is what the "pager" template shows: where this page sits in the
// whole list, and the links to the neighbouring pages.
type pageView struct {
	Page, Pages, Size int
	// From and To number the page's first and last rows (1-based), of
	// Count in all.
	From, To, Count int
	// First, Prev, Next and Last are links ("" when there is none).
	First, Prev, Next, Last string
	Sizes                   []sizeLink
}

// sizeLink offers another page size.
type sizeLink struct {
	Size    int
	URL     string
	Current bool
}

// newPageView places page p of a list of count rows, showing rows rows,
// with links that keep the rest of query q.
func newPageView(q url.Values, p pageRequest, count, rows int) pageView {
	v := pageView{Page: p.Page, Size: p.Size, Count: count, Pages: max(1, (count+p.Size-1)/p.Size)}
	if rows > 0 {
		v.From = (p.Page-1)*p.Size + 1
		v.To = v.From + rows - 1
	}
	link := func(page, size int) string {
		u := url.Values{}
		for k, vs := range q {
			u[k] = vs
		}
		u.Del("page")
		if page > 1 {
			u.Set("page", strconv.Itoa(page))
		}
		u.Del("par")
		if size != pageSizes[0] {
			u.Set("par", strconv.Itoa(size))
		}
		return "?" + u.Encode()
	}
	if p.Page > 1 {
		v.First, v.Prev = link(1, p.Size), link(min(p.Page-1, v.Pages), p.Size)
	}
	if p.Page < v.Pages {
		v.Next, v.Last = link(p.Page+1, p.Size), link(v.Pages, p.Size)
	}
	for _, s := range pageSizes {
		v.Sizes = append(v.Sizes, sizeLink{Size: s, URL: link(1, s), Current: s == p.Size})
	}
	return v
}
