package domain

import (
	"strings"
	"time"
	"unicode"
)

// A customer's organization profile: its addresses and its service
// agreements, kept in the customer's own partition.

// Id prefixes of the profile and of jobs.
const (
	PrefixAddress   = "adr"
	PrefixAgreement = "agr"
	PrefixJob       = "job"
)

// Limits of the profile, shared by validation and the OpenAPI document.
const (
	MaxAddresses         = 50 // per customer
	MaxAgreements        = 100
	MaxPortals           = 50
	MaxAddressLines      = 4
	MaxAddressLineLength = 100
	MaxPostalCodeLength  = 16
	MaxLabelLength       = 64
	MaxReferenceLength   = 64
)

// AddressKind is what an address is for; a customer may have several of
// one kind (two shipping addresses, say).
type AddressKind string

const (
	AddressActual   AddressKind = "actual"
	AddressLegal    AddressKind = "legal"
	AddressShipping AddressKind = "shipping"
)

// ValidAddressKind reports whether k is a kind of address.
func ValidAddressKind(k string) bool {
	switch AddressKind(k) {
	case AddressActual, AddressLegal, AddressShipping:
		return true
	}
	return false
}

// Record is what every versioned record of a customer's profile carries.
type Record struct {
	ID         string    `dynamodbav:"id"`
	CustomerID string    `dynamodbav:"customerId"`
	CreatedAt  time.Time `dynamodbav:"createdAt"`
	UpdatedAt  time.Time `dynamodbav:"updatedAt"`
	Version    int       `dynamodbav:"version"`
}

// NewRecord is the first version of a record of a customer's profile.
func NewRecord(prefix, customerID string, now time.Time) Record {
	return Record{ID: NewID(prefix), CustomerID: customerID, CreatedAt: now, UpdatedAt: now, Version: 1}
}

// Meta is the record itself, for code that handles any kind of record.
func (r *Record) Meta() *Record { return r }

// Address is one address of a customer.
type Address struct {
	Record
	Kind AddressKind `dynamodbav:"kind"`
	// Label tells addresses of one kind apart ("Warehouse Rotterdam").
	Label      string   `dynamodbav:"label,omitempty"`
	Lines      []string `dynamodbav:"lines"`
	PostalCode string   `dynamodbav:"postalCode"`
	City       string   `dynamodbav:"city"`
	Region     string   `dynamodbav:"region,omitempty"`
	Country    string   `dynamodbav:"country"` // ISO 3166-1 alpha-2
}

// CleanAddressLines trims and checks the street lines of an address: 1 to
// MaxAddressLines, each CleanText. It returns the index of a bad line (-1
// for the count) and its code when one is refused.
func CleanAddressLines(lines []string) ([]string, int, string) {
	if len(lines) == 0 {
		return nil, -1, "required"
	}
	if len(lines) > MaxAddressLines {
		return nil, -1, "too_many"
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		c, code := CleanText(l, MaxAddressLineLength)
		if code != "" {
			return nil, i, code
		}
		out[i] = c
	}
	return out, -1, ""
}

// CleanPostalCode checks a postal code: letters, digits, spaces and
// hyphens, upper-cased, inner runs of spaces made one.
func CleanPostalCode(s string) (string, string) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "", "required"
	}
	if len(s) > MaxPostalCodeLength {
		return "", "too_long"
	}
	for _, r := range s {
		if !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) || r == ' ' || r == '-') {
			return "", "invalid_postal_code"
		}
	}
	return strings.ToUpper(s), ""
}

// AgreementStatus is where a service agreement stands on a day, derived
// from its dates when it is read, never stored.
type AgreementStatus string

const (
	AgreementUpcoming AgreementStatus = "upcoming"
	AgreementActive   AgreementStatus = "active"
	AgreementExpired  AgreementStatus = "expired"
)

// DateLayout is how the profile writes a day: ISO 8601's calendar date.
const DateLayout = "2006-01-02"

// ServiceAgreement is one service agreement ("Maintenance") of a customer,
// from its first day to its last, both included.
type ServiceAgreement struct {
	Record
	Name      string `dynamodbav:"name"`
	Reference string `dynamodbav:"reference"`
	StartsOn  string `dynamodbav:"startsOn"` // DateLayout
	EndsOn    string `dynamodbav:"endsOn"`
	// Status is StatusOn the day it was read; a read fills it in.
	Status AgreementStatus `dynamodbav:"-"`
}

// StatusOn is where the agreement stands on the day of t, in UTC: upcoming
// before its first day, expired after its last, active in between.
func (a ServiceAgreement) StatusOn(t time.Time) AgreementStatus {
	day := t.UTC().Format(DateLayout) // dates in DateLayout sort as strings
	switch {
	case day < a.StartsOn:
		return AgreementUpcoming
	case day > a.EndsOn:
		return AgreementExpired
	}
	return AgreementActive
}

// CleanDate checks a calendar date in DateLayout (a real day: no 30
// February), between the years 1900 and 9999.
func CleanDate(s string) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "required"
	}
	d, err := time.Parse(DateLayout, s)
	if err != nil || d.Format(DateLayout) != s || d.Year() < 1900 {
		return "", "invalid_date"
	}
	return s, ""
}

// Job kinds.
const JobOffboarding = "customer.offboarding"

// JobStep is where a job stands; its steps run in this order.
type JobStep string

const (
	JobMembers  JobStep = "members"  // every member removed, invitations revoked, identities brought in line
	JobPortals  JobStep = "portals"  // every portal setup and its app client deleted
	JobRecords  JobStep = "records"  // the customer's own data: profile, audit trail, anything else of its partition
	JobCustomer JobStep = "customer" // the customer itself
	JobDone     JobStep = "done"
)

// JobSteps are the steps of an offboarding, in order.
var JobSteps = []JobStep{JobMembers, JobPortals, JobRecords, JobCustomer, JobDone}

// NextStep is the step after s.
func NextStep(s JobStep) JobStep {
	for i, x := range JobSteps {
		if x == s && i+1 < len(JobSteps) {
			return JobSteps[i+1]
		}
	}
	return JobDone
}

// JobCounts are what a job has removed so far.
type JobCounts struct {
	Members     int `dynamodbav:"members"`
	Invitations int `dynamodbav:"invitations"` // pending invitations revoked
	Portals     int `dynamodbav:"portals"`
	Records     int `dynamodbav:"records"` // addresses, agreements, audit events, other records
}

// Add is the sum of two counts.
func (c JobCounts) Add(o JobCounts) JobCounts {
	return JobCounts{Members: c.Members + o.Members, Invitations: c.Invitations + o.Invitations,
		Portals: c.Portals + o.Portals, Records: c.Records + o.Records}
}

// Job is work too big for one request, done in bounded steps after it was
// accepted: today, the offboarding of a customer. It outlives its work, so
// that its progress can be read to the end.
type Job struct {
	ID           string     `dynamodbav:"id"`
	Kind         string     `dynamodbav:"kind"`
	CustomerID   string     `dynamodbav:"customerId"`
	CustomerName string     `dynamodbav:"customerName"`
	Step         JobStep    `dynamodbav:"step"`
	Removed      JobCounts  `dynamodbav:"removed"`
	RequestedBy  Actor      `dynamodbav:"requestedBy"`
	CreatedAt    time.Time  `dynamodbav:"createdAt"`
	UpdatedAt    time.Time  `dynamodbav:"updatedAt"`
	FinishedAt   *time.Time `dynamodbav:"finishedAt"`
}

// Done reports whether the job has finished.
func (j *Job) Done() bool { return j.Step == JobDone }
