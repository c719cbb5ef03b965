// Command etcd runs the etcd server from the go.etcd.io/etcd/server/v3 module for the test bed.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
