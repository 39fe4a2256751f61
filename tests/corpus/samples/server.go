// Package server is a tiny HTTP server.
package server

import "fmt"

// Server holds state.
type Server struct {
	Addr string
}

// Start starts the server.
func (s *Server) Start() error {
	fmt.Println("starting", s.Addr)
	return nil
}

func New(addr string) *Server {
	return &Server{Addr: addr}
}

type Handler interface {
	Serve() error
}
