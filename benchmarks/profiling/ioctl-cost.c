/* close-path client-first with and without an ioctl(FIONREAD) before close: isolates the ioctl's kernel cost */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static unsigned long long now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1000000000ull+t.tv_nsec;}
static int cmp(const void*a,const void*b){unsigned long long x=*(const unsigned long long*)a,y=*(const unsigned long long*)b;return (x>y)-(x<y);}
int main(int argc,char**argv){
  int port=atoi(argv[1]), n=atoi(argv[2]);
  struct sockaddr_in sa={.sin_family=AF_INET,.sin_port=htons(port)}; inet_pton(AF_INET,"127.0.0.1",&sa.sin_addr);
  unsigned long long *s[2]; s[0]=malloc(n*8); s[1]=malloc(n*8);
  for(int i=0;i<2*n;i++){
    int with=i&1; int fd=socket(AF_INET,SOCK_STREAM|SOCK_CLOEXEC,0); connect(fd,(void*)&sa,sizeof sa);
    unsigned long long t0=now(); if(with){int q; ioctl(fd,FIONREAD,&q);} close(fd); s[with][i/2]=now()-t0;
  }
  for(int w=0;w<2;w++){unsigned long long sum=0;for(int i=0;i<n;i++)sum+=s[w][i];qsort(s[w],n,8,cmp);
    printf("%s: mean %llu p50 %llu p90 %llu ns\n",w?"ioctl+close":"close      ",sum/n,s[w][n/2],s[w][n*9/10]);}
  return 0;}
