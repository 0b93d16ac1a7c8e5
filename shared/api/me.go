package api

import (
	"context"
	"sort"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
)

type meView struct {
	ID          string           `json:"id"`
	Email       string           `json:"email"`
	Name        string           `json:"name"`
	Operator    *meOperator      `json:"operator"`
	Memberships []membershipView `json:"memberships"`
}

type meOperator struct {
	Role domain.OperatorRole `json:"role"`
}

type membershipView struct {
	CustomerID   string         `json:"customerId"`
	CustomerName string         `json:"customerName"`
	UserID       string         `json:"userId"`
	Admin        bool           `json:"admin"`
	Roles        []string       `json:"roles"`
	Portals      []mePortalView `json:"portals"`
}

type mePortalView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Me: who the caller is, their operator role, and their enabled
// memberships with each customer's name and the portals they may reach.
func Me(d *Deps) httpapi.Endpoint {
	return d.authed(func(ctx context.Context, r *httpapi.Request, c *Caller) (*httpapi.Response, error) {
		out := meView{ID: c.Sub, Email: c.Email, Memberships: []membershipView{}}
		if c.Operator != nil {
			out.Name = c.Operator.Name
			out.Operator = &meOperator{Role: c.Operator.Role}
		}
		var customers []string
		portals := map[string][]string{}
		for cid, m := range c.Memberships {
			customers = append(customers, cid)
			portals[cid] = m.PortalIDs
		}
		sort.Strings(customers)
		if len(customers) > 0 {
			cs, ps, err := d.Store.Directory(ctx, customers, portals)
			if err != nil {
				return nil, err
			}
			for _, cid := range customers {
				m := c.Memberships[cid]
				if out.Name == "" {
					out.Name = m.Name
				}
				mv := membershipView{CustomerID: cid, CustomerName: cs[cid].Name, UserID: m.ID, Admin: m.Admin, Roles: orEmpty(m.Roles), Portals: []mePortalView{}}
				for _, pid := range m.PortalIDs {
					if p, ok := ps[pid]; ok {
						mv.Portals = append(mv.Portals, mePortalView{ID: p.ID, Name: p.Name, URL: p.URL})
					}
				}
				out.Memberships = append(out.Memberships, mv)
			}
		}
		return httpapi.OK(out), nil
	})
}
