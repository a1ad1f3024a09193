//go:build !windows

package netx

import "syscall"

var errnoCodes = []errnoCode{
	{syscall.ECONNREFUSED, Refused},
	{syscall.ENETUNREACH, NetUnreachable},
	{syscall.EHOSTUNREACH, HostUnreachable},
	{syscall.ETIMEDOUT, Timeout},
	{syscall.EADDRNOTAVAIL, NoFamily},
	{syscall.EAFNOSUPPORT, NoFamily},
}
