package api

import "sync"

// sync2 runs a few independent calls at once.
type sync2 struct{ wg sync.WaitGroup }

func (s *sync2) Go(f func()) { s.wg.Go(f) }
func (s *sync2) Wait()       { s.wg.Wait() }
